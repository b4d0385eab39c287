// /tickets: a signed-in viewer's tickets (#token=<user JWT>, kept in
// sessionStorage): each show's tier, state, what was paid and what is due,
// the way in, and the buyer's share link (their referral id).

import { Api, h } from './api.js';
import { t, money, currentLang, translatePage, languageSwitch, buyerMessage } from './i18n.js';
import { PresaleAPI, ticketsOf, viewerToken } from './presale-api.js';

const $ = (id) => document.getElementById(id);
const { token } = viewerToken('');
const api = new Api('', () => token);
translatePage();
languageSwitch(document.querySelector('.topbar'));

function when(s) {
  try { return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(s)); } catch (_) { return s; }
}

function card(tk) {
  const status = String(tk.status || '').toLowerCase();
  const room = tk.room || '';
  const rows = [
    h('strong', { class: 'ticket-room' }, tk.title || room),
    h('span', { class: 'ticket-tier' }, t('presale.mine.tier', { tier: tk.tier })),
    h('span', { class: 'ticket-status', dataset: { status } }, t(`presale.status.${status}`, status)),
    h('span', {}, t('presale.mine.paid', { amount: money(tk.paid_minor, tk.currency) })),
  ];
  if (tk.balance_minor && tk.balance_due_at && status !== 'paid') rows.push(h('span', {}, t('presale.mine.balance', { amount: money(tk.balance_minor, tk.currency), when: when(tk.balance_due_at) })));
  if (status === 'paid' || status === 'active' || status === 'deposit_paid') rows.push(h('a', { class: 'btn btn-live', href: `/live/${encodeURIComponent(room)}` }, t('presale.watch')));
  rows.push(h('a', { class: 'btn btn-ghost', href: `/presale/${encodeURIComponent(room)}` }, t('presale.mine.offer')));
  if (tk.share_url) rows.push(h('span', { class: 'ticket-share' }, t('presale.mine.share'), ' ', h('code', {}, tk.share_url)));
  return h('li', { class: 'ticket-card', dataset: { room, tier: tk.tier } }, rows);
}

async function load() {
  if (!token) { $('tickets-signin').hidden = false; return; }
  try {
    const list = ticketsOf(await api.get(PresaleAPI.mine()));
    $('tickets').replaceChildren(...list.map(card));
    $('tickets-empty').hidden = list.length > 0;
  } catch (err) {
    $('tickets-error').textContent = buyerMessage(err);
  }
}
load();
