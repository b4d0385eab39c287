// The admission screen of a ticketed room (/live/{room} for a viewer
// without a ticket): the show is for ticket holders; while sales are open
// it offers the tiers and a way to buy one now (the presale page), else it
// says sales are closed. The media and the room channel refuse such a
// viewer on their own (403 ticket_required); this screen says why.

import { h, ApiError } from './api.js';
import { t, money } from './i18n.js';

/**
 * Asks the server what the viewer's ticket allows in room: {ticketed,
 * admitted, tier, sources, comment}. An unknown answer is retried a few
 * times, then reported as not admitted (never as admitted).
 */
export async function checkPass(api, room) {
  for (let i = 0; ; i++) {
    try {
      return await api.get(`/api/rooms/${encodeURIComponent(room)}/pass`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'ticket_check_unavailable' && i < 5) {
        await new Promise((r) => setTimeout(r, 1500));
        continue;
      }
      if (err instanceof ApiError && err.status === 404) return { ticketed: false, admitted: true };
      return { ticketed: true, admitted: false, unknown: true };
    }
  }
}

/** The presale page of room, carrying the viewer's way back. */
export function presaleURL(room) {
  return `/presale/${encodeURIComponent(room)}`;
}

/** Admission covers the room's main area for a viewer without a ticket. */
export class Admission {
  /**
   * @param {HTMLElement} host where the screen goes (the page's main)
   * @param {{room: string, api: object, signedIn: boolean, signInURL?: string, revoked?: boolean}} o
   */
  constructor(host, o) {
    this.host = host;
    this.o = o;
    this.el = h('section', { id: 'admission', class: 'ls-admission', role: 'region', 'aria-label': t('presale.admit.label') });
  }

  async show() {
    const { room, api } = this.o;
    const title = h('h2', { class: 'ls-admission-title' }, t(this.o.revoked ? 'presale.admit.revoked' : 'presale.admit.title'));
    const note = h('p', { class: 'ls-admission-note' }, t('presale.admit.note'));
    this.el.replaceChildren(title, note);
    this.host.replaceChildren(this.el);
    let offer = null;
    try { offer = await api.get(`/api/rooms/${encodeURIComponent(room)}/presale`); } catch (_) { offer = null; }
    const tiers = offer && Array.isArray(offer.tiers) ? offer.tiers : [];
    const open = tiers.filter((x) => x.sales_open);
    if (open.length) {
      const list = h('ul', { class: 'ls-admission-tiers' }, open.map((x) => h('li', {},
        h('span', { class: 'ls-tier-name' }, x.title || x.name || ''), ' ',
        h('span', { class: 'ls-tier-price' }, money(x.price_minor, x.currency || offer.currency)))));
      const buy = h('a', { id: 'admission-buy', class: 'btn btn-primary', href: presaleURL(room) }, t('presale.admit.buy'));
      this.el.append(list, buy);
    } else {
      this.el.append(h('p', { id: 'admission-closed', class: 'ls-admission-closed' }, t('presale.admit.closed')));
    }
    if (!this.o.signedIn && this.o.signInURL) {
      const back = encodeURIComponent(location.href);
      this.el.append(h('a', { id: 'admission-signin', class: 'btn btn-ghost', href: this.o.signInURL.replace('{return}', back) }, t('presale.admit.signin')));
    } else if (!this.o.signedIn) {
      this.el.append(h('p', { class: 'ls-admission-note' }, t('presale.admit.haveone')));
    }
  }
}
