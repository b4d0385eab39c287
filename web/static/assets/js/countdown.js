// The landing screen of a scheduled room (/live/{room} before its show):
// title, cover and a countdown to starts_at in the viewer's language. It
// covers the stage while the room is not live and goes away by itself when
// the viewer's state becomes "live" — the same WHEP waiting path that shows
// "NOT LIVE YET" brings the video; nothing here polls the server.

import { h } from './api.js';
import { t, currentLang } from './i18n.js';

/** Splits ms into whole days, hours, minutes and seconds (never negative). */
export function parts(ms) {
  let s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hr = Math.floor(s / 3600); s -= hr * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return { d, h: hr, m, s };
}

const pad = (n) => String(n).padStart(2, '0');

/** Landing shows the countdown over viewer's stage for room info. */
export class Landing {
  /**
   * @param {object} viewer the Viewer (its el.stage is covered)
   * @param {{title: string, starts_at: string, cover_url?: string}} info the room
   */
  constructor(viewer, info) {
    this.viewer = viewer;
    this.at = Date.parse(info.starts_at);
    this.el = h('section', { class: 'ls-landing', role: 'region', 'aria-label': t('room.scheduled.label') });
    if (info.cover_url && /^https:\/\//.test(info.cover_url)) {
      this.el.appendChild(h('img', { class: 'ls-landing-cover', src: info.cover_url, alt: '' }));
    }
    this.title = h('h2', { class: 'ls-landing-title' }, info.title || '');
    this.when = h('p', { class: 'ls-landing-when' });
    this.clock = h('p', { class: 'ls-countdown', role: 'timer', 'aria-live': 'off' });
    this.note = h('p', { class: 'ls-landing-note' }, t('room.scheduled.note'));
    this.el.append(this.title, this.when, this.clock, this.note);
    try {
      this.when.textContent = t('room.scheduled.when', {
        when: new Intl.DateTimeFormat(currentLang(), { dateStyle: 'full', timeStyle: 'short' }).format(new Date(this.at)),
      });
    } catch (_) { this.when.textContent = info.starts_at; }
  }

  /** Shows the landing (until the room goes live) and starts the clock. */
  show() {
    if (!Number.isFinite(this.at)) return;
    this.viewer.el.stage.appendChild(this.el);
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  tick() {
    const left = this.at - Date.now();
    if (left <= 0) { this.clock.textContent = t('room.scheduled.soon'); return; }
    const p = parts(left);
    const hms = `${pad(p.h)}:${pad(p.m)}:${pad(p.s)}`;
    this.clock.textContent = p.d > 0 ? t('room.scheduled.days', { d: p.d, hms }) : t('room.scheduled.in', { hms });
  }

  /** Viewer events: the landing goes once the room is live or has ended. */
  onViewer(name, detail) {
    if (name === 'state' && (detail.state === 'live' || detail.state === 'ended' || detail.state === 'missing')) this.remove();
  }

  remove() {
    clearInterval(this.timer);
    this.el.remove();
  }
}
