// The studio's coupon tool: the anchor creates a coupon (满减, amount off,
// percent off, free shipping) and pushes it live in one press; viewers see
// it at once with the countdown chosen here. The list shows each coupon's
// countdown, what is left, and the orders and GMV it drove.

import { h, clear } from './api.js';
import { t, money, toMinor, buyerMessage } from './i18n.js';
import { clock } from './card.js';
import { couponOffer } from './coupons.js';

/** Mounts the coupon tool into root for room, over api (push key or admin token). */
export function mountCoupons(root, { api, room, currency = 'CNY' }) {
  const field = (label, input) => h('label', { class: 'coupon-field' }, label, input);
  const kind = h('select', { id: 'coupon-kind', 'aria-label': t('coupon.studio.kind') },
    ...['threshold', 'amount_off', 'percent_off', 'free_shipping'].map((k) => h('option', { value: k }, t(`coupon.studio.kind.${k}`))));
  const title = h('input', { id: 'coupon-title', type: 'text', maxlength: '120', autocomplete: 'off' });
  const amount = h('input', { id: 'coupon-amount', type: 'text', inputmode: 'decimal', value: '20', autocomplete: 'off' });
  const min = h('input', { id: 'coupon-min', type: 'text', inputmode: 'decimal', value: '199', autocomplete: 'off' });
  const percent = h('input', { id: 'coupon-percent', type: 'number', min: '1', max: '95', value: '10' });
  const cap = h('input', { id: 'coupon-cap', type: 'text', inputmode: 'decimal', value: '', autocomplete: 'off' });
  const total = h('input', { id: 'coupon-total', type: 'number', min: '1', value: '1000' });
  const perUser = h('input', { id: 'coupon-per-user', type: 'number', min: '1', max: '100', value: '1' });
  const seconds = h('input', { id: 'coupon-seconds', type: 'number', min: '5', max: '3600', value: '60' });
  const valid = h('input', { id: 'coupon-valid', type: 'number', min: '1', max: '720', value: '24' });
  const status = h('p', { id: 'coupon-status', class: 'hint', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { id: 'coupon-list', class: 'coupon-list', 'aria-label': t('coupon.studio.title') });
  const push = h('button', { id: 'coupon-push', class: 'btn btn-primary', type: 'submit' }, t('coupon.studio.push'));
  const amountRow = field(t('coupon.studio.amount'), amount);
  const minRow = field(t('coupon.studio.min'), min);
  const percentRow = field(t('coupon.studio.percent'), percent);
  const capRow = field(t('coupon.studio.cap'), cap);
  const showFields = () => {
    const k = kind.value;
    amountRow.hidden = !(k === 'threshold' || k === 'amount_off');
    minRow.hidden = k !== 'threshold';
    percentRow.hidden = capRow.hidden = k !== 'percent_off';
  };
  kind.addEventListener('change', showFields);
  showFields();
  const form = h('form', { id: 'coupon-form', class: 'sell coupon-form', onsubmit: (e) => { e.preventDefault(); createAndPush(); } },
    field(t('coupon.studio.kind'), kind), field(t('coupon.studio.name'), title), amountRow, minRow, percentRow, capRow,
    field(t('coupon.studio.total'), total), field(t('coupon.studio.per_user'), perUser), field(t('coupon.studio.seconds'), seconds),
    field(t('coupon.studio.valid'), valid), push, status);
  clear(root);
  root.append(h('h3', {}, t('coupon.studio.title')), form, list);

  const pushed = new Map(); // coupon id → until (ms)
  const path = `/api/rooms/${encodeURIComponent(room)}/coupons`;

  async function createAndPush() {
    push.disabled = true;
    status.textContent = '';
    try {
      const body = { kind: kind.value, currency, total: Number(total.value), per_user: Number(perUser.value),
        starts_at: new Date(Date.now() - 1000).toISOString(), ends_at: new Date(Date.now() + Number(valid.value) * 3600e3).toISOString() };
      if (body.kind === 'threshold' || body.kind === 'amount_off') body.amount_minor = toMinor(amount.value, currency);
      if (body.kind === 'threshold') body.min_spend_minor = toMinor(min.value, currency);
      if (body.kind === 'percent_off') { body.percent = Number(percent.value); if (cap.value.trim()) body.cap_minor = toMinor(cap.value, currency); }
      body.title = title.value.trim() || couponOffer(body);
      const c = await api.post(path, body);
      const n = await api.post(`${path}/${encodeURIComponent(c.id)}/push`, { seconds: Number(seconds.value) });
      pushed.set(c.id, Date.parse(n.until));
      await refresh();
    } catch (err) {
      status.textContent = buyerMessage(err);
    } finally {
      push.disabled = false;
    }
  }

  let coupons = [];
  let stats = new Map();
  async function refresh() {
    try {
      const res = await api.get(path);
      coupons = (res && res.coupons) || [];
      const st = await api.get(`${path}/stats`).catch(() => null);
      stats = new Map(((st && st.coupons) || []).map((s) => [s.coupon_id, s]));
    } catch (_) { /* keep the last list */ }
    render();
  }

  function render() {
    const now = Date.now();
    list.replaceChildren(...coupons.slice(-8).reverse().map((c) => {
      const until = pushed.get(c.id);
      const s = stats.get(c.id) || { claimed: c.total - c.left, used: 0, orders: 0, gmv_minor: 0 };
      const live = until && until > now;
      const head = live ? t('coupon.studio.pushed', { title: c.title, time: clock(until - now), left: c.left })
        : t('coupon.studio.over', { title: c.title, claimed: s.claimed });
      return h('li', { class: 'coupon-item', dataset: { coupon: c.id, live: live ? 'true' : 'false' } },
        h('span', { class: 'coupon-head' }, head), ' ',
        h('span', { class: 'hint' }, t('coupon.studio.stats', { claimed: s.claimed, used: s.used, orders: s.orders, gmv: money(s.gmv_minor, c.currency) })));
    }));
  }

  refresh();
  const timers = [setInterval(render, 500), setInterval(refresh, 3000)];
  return () => timers.forEach(clearInterval);
}
