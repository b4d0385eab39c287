// /presale/{room}: the public presale page of a show — cover, start time
// and countdown, each ticket tier with its price steps and what is left,
// and Buy. Buying takes a signed-in viewer (#token=<user JWT>, kept in
// sessionStorage like the room page's): the ticket order is paid through
// the room's ordinary checkout (checkout.js), and the page then waits for
// the show to go live and links to it. ?ref=<code> attributes the sale to
// whoever shared the link.

import { Api, ApiError, h, roomFromPath, newIdempotencyKey } from './api.js';
import { t, money, currentLang, translatePage, languageSwitch, buyerMessage } from './i18n.js';
import { Checkout } from './checkout.js';
import { parts } from './countdown.js';
import { PresaleAPI, viewerToken, visitorId } from './presale-api.js';

const $ = (id) => document.getElementById(id);
const room = roomFromPath();
const { token, ref } = viewerToken(room);
const api = new Api('', () => token);
let providers;
const checkout = new Checkout({
  api, base: '', room,
  emit: () => {},
  providers: () => {
    providers = providers || api.get('/api/payments/providers').then((r) => {
      const list = Array.isArray(r) ? r : (r && (r.providers || r.names)) || [];
      return list.map((p) => (typeof p === 'string' ? p : p && (p.name || p.id))).filter(Boolean);
    }).catch((err) => { providers = null; throw err; });
    return providers;
  },
});
document.body.appendChild(checkout.el);

translatePage();
languageSwitch(document.querySelector('.topbar'));
$('watch').href = `/live/${encodeURIComponent(room)}`;
$('signin-note').hidden = !!token;

let offer = null;
let startsAt = NaN;

function fmtWhen(ms) {
  try { return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'full', timeStyle: 'short' }).format(new Date(ms)); } catch (_) { return new Date(ms).toISOString(); }
}

function stepLine(s, cur, i) {
  const price = money(s.price_minor, cur);
  let what;
  if (s.until && !(s.quantity > 0)) what = t('presale.step.until', { price, when: fmtWhen(Date.parse(s.until)) });
  else if (s.quantity > 0) what = t(i ? 'presale.step.next' : 'presale.step.units', { price, n: s.quantity, left: s.left });
  else what = t('presale.step.then', { price });
  return h('li', { class: s.current ? 'current' : s.ended || s.left === 0 ? 'ended' : '' }, what);
}

function tierCard(tier) {
  const cur = offer.currency;
  const left = tier.left < 0 ? t('presale.left.unlimited') : t('presale.left', { n: tier.left });
  const buy = h('button', { class: 'btn btn-primary presale-buy', type: 'button', dataset: { tier: tier.name }, disabled: !tier.sales_open || !token },
    tier.sales_open ? t('presale.buy') : (tier.left === 0 ? t('presale.soldout') : t('presale.closed')));
  buy.addEventListener('click', () => purchase(tier));
  const card = h('li', { class: 'presale-tier', dataset: { tier: tier.name } },
    h('h2', {}, tier.title || tier.name),
    h('p', { class: 'presale-price' }, money(tier.price_minor, cur)),
    tier.mode === 'deposit' ? h('p', { class: 'presale-left' }, t('presale.deposit', { deposit: money(tier.deposit_minor, cur), when: fmtWhen(Date.parse(tier.balance_due_at)) })) : null,
    Array.isArray(tier.steps) && tier.steps.length > 1 ? h('ul', { class: 'presale-steps', 'aria-label': t('presale.steps') }, tier.steps.map((s, i) => stepLine(s, cur, i))) : null,
    h('p', { class: 'presale-left' }, left),
    tier.sources && tier.sources.length ? h('p', { class: 'presale-left' }, t('presale.sources', { list: tier.sources.join(', ') })) : null,
    buy);
  return card;
}

async function load() {
  try {
    offer = await api.get(PresaleAPI.offer(room));
  } catch (err) {
    $('presale-error').textContent = err instanceof ApiError && err.status === 404 ? t('presale.none') : buyerMessage(err);
    return;
  }
  $('show-title').textContent = offer.title;
  document.title = `${offer.title} — livesell`;
  startsAt = Date.parse(offer.starts_at);
  $('show-when').textContent = t('presale.when', { when: fmtWhen(startsAt) });
  $('tiers').replaceChildren(...(offer.tiers || []).map(tierCard));
}

async function purchase(tier) {
  $('presale-error').textContent = '';
  let bought;
  try {
    bought = await api.post(PresaleAPI.buy(room), { tier: tier.name, pay: tier.mode === 'deposit' ? 'deposit' : 'full', ref: ref || undefined }, { idempotencyKey: newIdempotencyKey() });
  } catch (err) {
    $('presale-error').textContent = buyerMessage(err);
    load();
    return;
  }
  const order = bought.order || bought;
  const res = await checkout.run({ title: tier.title || tier.name, quantity: 1 }, { resume: order });
  if (res.status === 'paid') {
    checkout.close();
    $('bought').hidden = false;
    $('bought').textContent = t('presale.bought', { tier: tier.title || tier.name });
    watchForLive();
  }
  load();
}

// After a purchase, or for a holder coming back: the page follows the
// room's state and shows the way in once the show is live.
let following = false;
async function watchForLive() {
  if (following) return;
  following = true;
  for (;;) {
    try {
      const r = await api.get(`/api/rooms/${encodeURIComponent(room)}`);
      if (r && r.cover_url && /^https:\/\//.test(r.cover_url)) { $('show-cover').src = r.cover_url; $('show-cover').hidden = false; }
      if (r && r.state === 'live') { $('show-live').hidden = false; return; }
    } catch (_) { /* try again */ }
    await new Promise((res) => setTimeout(res, 2000));
  }
}

function tick() {
  if (!Number.isFinite(startsAt)) return;
  const left = startsAt - Date.now();
  if (left <= 0) { $('show-countdown').textContent = t('room.scheduled.soon'); return; }
  const p = parts(left);
  const pad = (n) => String(n).padStart(2, '0');
  const hms = `${pad(p.h)}:${pad(p.m)}:${pad(p.s)}`;
  $('show-countdown').textContent = p.d > 0 ? t('room.scheduled.days', { d: p.d, hms }) : t('room.scheduled.in', { hms });
}

await load();
if (offer) api.post(PresaleAPI.views(room), { visitor: visitorId(), ref: ref || undefined }).catch(() => {});
tick();
setInterval(tick, 1000);
watchForLive();
window.livesell = { offer: () => offer };
