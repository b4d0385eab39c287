// The dashboard's presale panel for the selected room: the offer editor
// (tiers with quantity, sales window, full / deposit / tiered pricing,
// extra video sources and chat rights) and the live presale analytics
// (presale's JSON), as numbers and charts. It follows dashboard.js's
// selected room (#detail-id) and admin token (sessionStorage).

import { Api, ApiError, h } from './api.js';
import { t, money, toMinor, toMajor, buyerMessage } from './i18n.js';
import { lineChart, barChart } from './charts.js';
import { PresaleAPI } from './presale-api.js';

const $ = (id) => document.getElementById(id);
const api = new Api('', () => sessionStorage.getItem('livesell.admin') || '');
let room = '';
let statsTimer = 0;

// datetime-local values are the operator's local time.
const toLocal = (iso) => {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};
const fromLocal = (v) => (v ? new Date(v).toISOString() : undefined);

function field(label, input, cls) { return h('label', { class: cls }, h('span', {}, label), ' ', input); }

/** One tier's row of inputs; read() gives the tier as the API takes it. */
function tierRow(tier, currency) {
  const x = tier || { name: '', mode: 'full', quantity: 100, comment: true };
  const inp = {
    name: h('input', { type: 'text', value: x.name || '', pattern: '[a-z0-9_\\-]{1,32}', required: true, size: 10, class: 'o-name' }),
    title: h('input', { type: 'text', value: x.title || '', maxlength: 120, size: 14, class: 'o-title' }),
    quantity: h('input', { type: 'number', value: String(x.quantity ?? -1), min: '-1', step: '1', class: 'o-qty' }),
    mode: h('select', { class: 'o-mode' }, ['full', 'deposit', 'tiered'].map((m) => h('option', { value: m, selected: x.mode === m }, t(`presale.mode.${m}`)))),
    price: h('input', { type: 'text', inputmode: 'decimal', value: x.price_minor ? toMajor(x.price_minor, currency()) : '', size: 8, class: 'o-price' }),
    steps: h('input', { type: 'text', value: (x.steps || []).map((s) => `${s.quantity}×${toMajor(s.price_minor, currency())}`).join(', '), size: 24, class: 'o-steps', placeholder: '100×49, 100×69' }),
    deposit: h('input', { type: 'text', inputmode: 'decimal', value: x.deposit_minor ? toMajor(x.deposit_minor, currency()) : '', size: 8, class: 'o-deposit' }),
    due: h('input', { type: 'datetime-local', value: toLocal(x.balance_due_at), class: 'o-due' }),
    rule: h('select', { class: 'o-rule' }, ['forfeit', 'refund'].map((m) => h('option', { value: m, selected: x.deposit_rule === m }, t(`presale.rule.${m}`)))),
    salesFrom: h('input', { type: 'datetime-local', value: toLocal(x.sales_starts_at), class: 'o-from' }),
    salesTo: h('input', { type: 'datetime-local', value: toLocal(x.sales_ends_at), class: 'o-to' }),
    sources: h('input', { type: 'text', value: (x.sources || []).join(', '), size: 12, class: 'o-sources', placeholder: 'backstage' }),
    comment: h('input', { type: 'checkbox', checked: x.comment !== false, class: 'o-comment' }),
    highlight: h('input', { type: 'checkbox', checked: !!x.highlight, class: 'o-highlight' }),
  };
  const remove = h('button', { type: 'button', class: 'btn-mini' }, t('presale.ed.remove'));
  const el = h('fieldset', { class: 'offer-tier' },
    field(t('presale.ed.name'), inp.name), field(t('presale.ed.tiertitle'), inp.title), field(t('presale.ed.quantity'), inp.quantity),
    field(t('presale.ed.mode'), inp.mode), field(t('presale.ed.price'), inp.price, 'o-f-price'), field(t('presale.ed.steps'), inp.steps, 'o-f-steps'),
    field(t('presale.ed.deposit'), inp.deposit, 'o-f-deposit'), field(t('presale.ed.due'), inp.due, 'o-f-deposit'), field(t('presale.ed.rule'), inp.rule, 'o-f-deposit'),
    field(t('presale.ed.from'), inp.salesFrom), field(t('presale.ed.to'), inp.salesTo), field(t('presale.ed.sources'), inp.sources),
    h('label', { class: 'check' }, inp.comment, ' ', t('presale.ed.comment')), h('label', { class: 'check' }, inp.highlight, ' ', t('presale.ed.highlight')), remove);
  remove.addEventListener('click', () => el.remove());
  // Only the fields of the tier's pricing show.
  el.dataset.mode = inp.mode.value;
  inp.mode.addEventListener('change', () => { el.dataset.mode = inp.mode.value; });
  el.read = () => {
    const cur = currency();
    const out = {
      name: inp.name.value.trim(), title: inp.title.value.trim() || undefined, quantity: Number(inp.quantity.value),
      mode: inp.mode.value, sales_starts_at: fromLocal(inp.salesFrom.value), sales_ends_at: fromLocal(inp.salesTo.value),
      sources: inp.sources.value.split(',').map((s) => s.trim()).filter(Boolean), comment: inp.comment.checked, highlight: inp.highlight.checked,
    };
    if (out.mode === 'tiered') {
      out.steps = inp.steps.value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const [q, p] = s.split(/[×x*]/).map((v) => v.trim());
        return { quantity: Number(q), price_minor: toMinor(p, cur) };
      });
    } else {
      out.price_minor = toMinor(inp.price.value, cur);
    }
    if (out.mode === 'deposit') {
      out.deposit_minor = toMinor(inp.deposit.value, cur);
      out.balance_due_at = fromLocal(inp.due.value);
      out.deposit_rule = inp.rule.value;
    }
    return out;
  };
  return el;
}

async function openEditor(id) {
  room = id;
  const box = $('presale-editor');
  box.replaceChildren(h('p', { class: 'empty' }, t('presale.ed.loading')));
  let offer = null;
  try { offer = await api.get(PresaleAPI.offer(id)); } catch (err) { if (!(err instanceof ApiError && err.status === 404)) { box.replaceChildren(h('p', { class: 'error' }, buyerMessage(err))); return; } }
  if (room !== id) return;
  let o = offer;
  if (!o) {
    // A new offer starts from the scheduled room: its title and start.
    let r = null;
    try { r = await api.get(`/api/rooms/${encodeURIComponent(id)}`); } catch (_) { r = null; }
    if (room !== id) return;
    o = { title: (r && r.title) || '', starts_at: (r && r.starts_at) || '', currency: 'CNY', tiers: [] };
  }
  const title = h('input', { id: 'o-show-title', type: 'text', value: o.title || '', maxlength: 200, required: true });
  const starts = h('input', { id: 'o-starts', type: 'datetime-local', value: toLocal(o.starts_at), required: true });
  const cur = h('input', { id: 'o-currency', type: 'text', value: (o.currency || 'CNY').toUpperCase(), maxlength: 3, size: 4, required: true });
  const currency = () => cur.value.trim() || 'CNY';
  const tiers = h('div', { class: 'offer-tiers' }, (o.tiers || []).map((x) => tierRow(x, currency)));
  const add = h('button', { type: 'button', class: 'btn', id: 'o-add-tier' }, t('presale.ed.addtier'));
  add.addEventListener('click', () => tiers.append(tierRow(null, currency)));
  const status = h('span', { role: 'status', class: 'o-status' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'o-save' }, t('presale.ed.save'));
  const form = h('form', { class: 'offer-editor', id: 'offer-form', 'aria-label': t('presale.ed.title') },
    field(t('presale.ed.showtitle'), title), field(t('presale.ed.starts'), starts), field(t('presale.ed.currency'), cur), tiers, h('div', { class: 'row' }, add, save, status));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.textContent = '';
    const body = { title: title.value.trim(), starts_at: fromLocal(starts.value), currency: currency().toUpperCase(), tiers: [...tiers.children].map((r) => r.read()) };
    try {
      await api.put(PresaleAPI.offer(id), body);
      status.textContent = t('presale.ed.saved');
      follow(id);
    } catch (err) {
      status.textContent = err instanceof ApiError ? (err.message || err.code) : buyerMessage(err);
    }
  });
  const link = h('p', {}, h('a', { href: `/presale/${encodeURIComponent(id)}`, target: '_blank', rel: 'noopener' }, t('presale.ed.page')));
  const stats = h('div', { id: 'presale-stats', class: 'offer-stats' });
  box.replaceChildren(form, link, stats);
  clearInterval(statsTimer);
  if (offer) follow(id);
}

// follow refreshes the analytics of room id every few seconds.
function follow(id) {
  clearInterval(statsTimer);
  loadStats(id);
  statsTimer = setInterval(() => loadStats(id), 3000);
}

function stat(key, value) { return h('div', { class: 'stat', dataset: { stat: key } }, h('strong', {}, value), ' ', h('span', {}, t(`presale.st.${key}`))); }

async function loadStats(id) {
  let s;
  try { s = await api.get(PresaleAPI.stats(id)); } catch (_) { return; }
  const box = $('presale-stats');
  if (room !== id || !box) return;
  const tot = s.total || {};
  const cur = s.currency || 'cny';
  const pct = (v) => `${Math.round(Number(v || 0) * 1000) / 10}%`;
  let cum = 0;
  const sales = (s.sales_over_time || []).map((p) => ({ t: Date.parse(p.hour), v: (cum += Number(p.paid || 0)) }));
  const figure = (svg, caption) => h('figure', { class: 'chart' }, svg, h('figcaption', {}, caption));
  box.replaceChildren(
    stat('views', String(s.views || 0)), stat('visitors', String(s.visitors || 0)),
    stat('reservations', String(tot.reservations || 0)), stat('paid', String(tot.paid || 0)),
    stat('awaiting', String(tot.deposits_awaiting || 0)), stat('conversion', pct(tot.balance_conversion)),
    stat('revenue', money(tot.revenue_minor, cur)), stat('pending', money(tot.pending_minor, cur)),
    stat('refunds', `${tot.refunds || 0} (${money(tot.refunded_minor, cur)})`),
    figure(barChart((s.tiers || []).map((x) => ({ label: x.tier, v: Number(x.paid || 0) }))), t('presale.st.bytier')),
    figure(lineChart(sales, { label: t('presale.st.overtime'), color: '#7b61ff' }), t('presale.st.overtime')),
    h('button', { type: 'button', class: 'btn-mini', onclick: () => downloadCSV(id) }, t('presale.st.csv')),
  );
}

// The CSV needs the admin token, which a plain link cannot send.
async function downloadCSV(id) {
  const res = await fetch(`${PresaleAPI.stats(id)}?format=csv`, { headers: { Authorization: `Bearer ${sessionStorage.getItem('livesell.admin') || ''}` } });
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `presale-${id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Follow the dashboard's selected room.
const idEl = $('detail-id');
if (idEl) {
  new MutationObserver(() => { const id = idEl.textContent.trim(); if (id && id !== room) openEditor(id); }).observe(idEl, { childList: true, characterData: true, subtree: true });
}
