// /dashboard: the operator's view. Admin token login (sessionStorage);
// rooms and their state, push keys (create, rotate, revoke, copy the WHIP
// URL for OBS), products and stock, orders with filters, and per-room charts
// drawn as inline SVG.

import { Api, ApiError, h, clear } from './api.js';
import { t, money, toMinor, toMajor, translatePage, languageSwitch, currentLang } from './i18n.js';
import { lineChart, barChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const storeKey = 'livesell.admin';
let token = sessionStorage.getItem(storeKey) || '';
const api = new Api('', () => token);
let selected = '';
let chartTimer = 0;
const history = new Map(); // room -> [{t, viewers, likes, danmaku, clicks, orders}]

function list(res, ...names) {
  if (Array.isArray(res)) return res;
  for (const n of names) if (res && Array.isArray(res[n])) return res[n];
  return [];
}

function fail(err) {
  $('dash-error').textContent = err instanceof ApiError ? `${err.message} (${err.code || err.status})` : String(err.message || err);
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    sessionStorage.removeItem(storeKey);
    token = '';
    showLogin(t('dash.refused'));
  }
}

function showLogin(msg) {
  $('login').hidden = false;
  $('dash').hidden = true;
  $('logout').hidden = true;
  $('login-error').textContent = msg || '';
  $('login-token').focus();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  token = $('login-token').value.trim();
  $('login-token').value = '';
  sessionStorage.setItem(storeKey, token);
  enter();
});
$('logout').addEventListener('click', () => { sessionStorage.removeItem(storeKey); token = ''; showLogin(); });

async function enter() {
  try {
    // An admin-only endpoint: the room list answers anyone (public rooms).
    const w = await api.get('/api/moderation/words');
    $('words').value = (w.words || []).join('\n');
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      sessionStorage.removeItem(storeKey);
      token = '';
      showLogin(t('dash.refused'));
      return;
    }
  }
  $('login').hidden = true;
  $('dash').hidden = false;
  $('logout').hidden = false;
  await loadRooms();
  await loadOrders();
}

function copy(text, btn) {
  const done = () => { const old = btn.textContent; btn.textContent = t('dash.copied'); setTimeout(() => { btn.textContent = old; }, 1500); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => {});
  else {
    const ta = h('textarea', { class: 'sr-only' }, text);
    document.body.append(ta); ta.select(); try { document.execCommand('copy'); done(); } catch (_) { /* ignore */ } ta.remove();
  }
}

function whipURL(room, r) { return (r && r.whip_url) || new URL(`/whip/${encodeURIComponent(room)}`, location.origin).href; }

// ---- rooms ----
async function loadRooms() {
  $('dash-error').textContent = '';
  try {
    const rooms = list(await api.get('/api/rooms'), 'rooms', 'items');
    const tb = $('rooms');
    clear(tb);
    if (!rooms.length) tb.append(h('tr', {}, h('td', { colspan: '5', class: 'empty' }, t('dash.norooms'))));
    for (const r of rooms) {
      const st = r.state || 'idle';
      const viewers = r.viewers !== undefined ? ` · ${t('dash.watching', { n: r.viewers })}` : '';
      tb.append(h('tr', { dataset: { room: r.id }, class: r.id === selected ? 'is-selected' : '' },
        h('td', {}, h('code', {}, r.id)),
        h('td', {}, r.title || ''),
        h('td', {}, h('span', { class: `state state-${st}` }, st), viewers, r.private ? ` · ${t('dash.private')}` : ''),
        h('td', {},
          h('a', { href: `/studio/${encodeURIComponent(r.id)}`, target: '_blank', rel: 'noopener' }, t('dash.studio')), ' · ',
          h('a', { href: `/live/${encodeURIComponent(r.id)}`, target: '_blank', rel: 'noopener' }, t('dash.watch'))),
        h('td', {},
          h('button', { class: 'btn-mini', type: 'button', onclick: () => selectRoom(r) }, t('dash.manage')),
          h('button', { class: 'btn-mini', type: 'button', 'aria-label': t('dash.copywhip.label', { room: r.id }), onclick: (e) => copy(whipURL(r.id, r), e.currentTarget) }, t('dash.copywhip')))));
    }
  } catch (err) { fail(err); }
}
$('refresh').addEventListener('click', () => { loadRooms(); loadOrders(); if (selected) selectRoom({ id: selected }); });

$('new-room').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const r = await api.post('/api/rooms', {
      title: $('new-title').value.trim(), private: $('new-private').checked, anonymous_chat: $('new-anon').checked,
    });
    $('new-title').value = '';
    showSecret(r.push_key || r.key, whipURL(r.id, r));
    await loadRooms();
    selectRoom(r);
  } catch (err) { fail(err); }
});

function showSecret(key, url) {
  $('secret').hidden = false;
  $('secret-key').textContent = key || '';
  $('secret-whip').textContent = url || '';
}
$('copy-key').addEventListener('click', (e) => copy($('secret-key').textContent, e.currentTarget));
$('copy-whip').addEventListener('click', (e) => copy($('secret-whip').textContent, e.currentTarget));

async function selectRoom(r) {
  selected = r.id;
  $('room-detail').hidden = false;
  $('detail-id').textContent = r.id;
  $('f-room').value = r.id;
  for (const tr of $('rooms').children) tr.classList.toggle('is-selected', tr.dataset.room === r.id);
  await Promise.all([loadKeys(), loadProducts(), loadOrders(), loadCharts()]);
  clearInterval(chartTimer);
  chartTimer = setInterval(loadCharts, 5000);
}

// ---- keys ----
async function loadKeys() {
  const ul = $('keys');
  clear(ul);
  try {
    const keys = list(await api.get(`/api/rooms/${encodeURIComponent(selected)}/keys`), 'keys', 'items');
    if (!keys.length) ul.append(h('li', { class: 'empty' }, t('dash.nokeys')));
    for (const k of keys) {
      const revoked = !!k.revoked_at;
      ul.append(h('li', { class: revoked ? 'key revoked' : 'key' },
        h('code', {}, k.id), ' ',
        h('span', {}, revoked ? t('dash.key.revoked', { at: new Date(k.revoked_at).toLocaleString(currentLang()) }) : t('dash.key.created', { at: new Date(k.created_at).toLocaleString(currentLang()) })),
        revoked ? null : h('button', { class: 'btn-mini', type: 'button', 'aria-label': t('dash.rotate.label', { id: k.id }), onclick: () => rotateKey(k.id) }, t('dash.rotate')),
        revoked ? null : h('button', { class: 'btn-mini btn-danger', type: 'button', 'aria-label': t('dash.revoke.label', { id: k.id }), onclick: () => revokeKey(k.id) }, t('dash.revoke'))));
    }
  } catch (err) { fail(err); }
}

$('new-key').addEventListener('click', async () => {
  try {
    const r = await api.post(`/api/rooms/${encodeURIComponent(selected)}/keys`, {});
    showSecret(r.push_key || r.key, whipURL(selected, null));
    loadKeys();
  } catch (err) { fail(err); }
});

async function rotateKey(id) {
  try {
    const r = await api.post(`/api/rooms/${encodeURIComponent(selected)}/keys/${encodeURIComponent(id)}/rotate`, {});
    showSecret(r.push_key || r.key, whipURL(selected, null));
    loadKeys();
  } catch (err) { fail(err); }
}

// Ending is for good: it asks first.
$('end-room').addEventListener('click', () => {
  if (!selected) return;
  $('end-confirm').returnValue = '';
  $('end-confirm').showModal();
});
$('end-confirm').addEventListener('close', async () => {
  if ($('end-confirm').returnValue !== 'end' || !selected) return;
  try {
    await api.post(`/api/rooms/${encodeURIComponent(selected)}/end`, {});
    loadRooms();
  } catch (err) { fail(err); }
});

$('words-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const words = $('words').value.split('\n').map((w) => w.trim()).filter(Boolean);
  try {
    const r = await api.put('/api/moderation/words', { words });
    $('words').value = (r.words || words).join('\n');
    $('words-status').textContent = t('dash.words.saved', { n: words.length });
  } catch (err) { fail(err); }
});

async function revokeKey(id) {
  try { await api.del(`/api/rooms/${encodeURIComponent(selected)}/keys/${encodeURIComponent(id)}`); loadKeys(); } catch (err) { fail(err); }
}

// ---- products ----
async function loadProducts() {
  const tb = $('products');
  clear(tb);
  try {
    const items = list(await api.get(`/api/rooms/${encodeURIComponent(selected)}/products`), 'products', 'items');
    if (!items.length) tb.append(h('tr', {}, h('td', { colspan: '4', class: 'empty' }, t('dash.noproducts'))));
    roomProductIds = items.map((p) => p.id);
    items.forEach((p, i) => {
      const input = h('input', { type: 'number', min: '0', step: '1', value: String(p.stock_total ?? 0), class: 'stock-input', 'aria-label': t('dash.stock.label', { title: p.title || p.id }) });
      tb.append(h('tr', { dataset: { product: p.id } },
        h('td', {}, p.title || p.id),
        h('td', {}, money(p.price_minor, p.currency)),
        h('td', { class: 'stock' }, String(p.stock_left ?? 0), ` ${t('dash.leftof')} `,
          h('form', { class: 'stock-form', onsubmit: (e) => { e.preventDefault(); setStock(p.id, input.value); } },
            input, h('button', { class: 'btn-mini', type: 'submit' }, t('dash.settotal')))),
        h('td', { class: 'actions' },
          h('button', { class: 'btn-mini move-up', type: 'button', disabled: i === 0, 'aria-label': t('dash.up.label', { title: p.title || p.id }), onclick: () => move(p.id, -1) }, '↑'),
          h('button', { class: 'btn-mini move-down', type: 'button', disabled: i === items.length - 1, 'aria-label': t('dash.down.label', { title: p.title || p.id }), onclick: () => move(p.id, 1) }, '↓'),
          h('button', { class: 'btn-mini edit', type: 'button', 'aria-label': t('dash.edit.label', { title: p.title || p.id }), onclick: () => editProduct(p) }, t('dash.edit')),
          h('button', { class: 'btn-mini btn-danger unbind', type: 'button', 'aria-label': t('dash.unbind.label', { title: p.title || p.id }), onclick: () => unbind(p.id) }, t('dash.unbind')),
          h('button', { class: 'btn-mini btn-danger delete', type: 'button', 'aria-label': t('dash.delete.label', { title: p.title || p.id }), onclick: () => askDelete(p) }, t('dash.delete')))));
    });
  } catch (err) { fail(err); }
}

let roomProductIds = [];

// Deleting a product asks first (a dialog of the page); the server refuses
// while a room presents it or an order names it, shown as a sentence.
let deleting = null;
function askDelete(p) {
  deleting = p;
  $('delete-confirm-h').textContent = t('dash.delete.title', { title: p.title || p.id });
  $('delete-confirm').returnValue = '';
  $('delete-confirm').showModal();
}
$('delete-confirm').addEventListener('close', async () => {
  const p = deleting;
  deleting = null;
  if (!p || $('delete-confirm').returnValue !== 'delete') return;
  $('dash-error').textContent = '';
  try {
    await api.del(`/api/products/${encodeURIComponent(p.id)}`);
    loadProducts();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'state_conflict') { fail(err); return; }
    const why = /present/i.test(err.message || '') ? 'dash.delete.presented' : 'dash.delete.sold';
    $('dash-error').textContent = t(why, { title: p.title || p.id });
  }
});

async function setStock(id, value) {
  try {
    await api.put(`/api/products/${encodeURIComponent(id)}/stock`, { stock: parseInt(value, 10) });
    loadProducts();
  } catch (err) { fail(err); }
}

// Product images: a path on this server or an https:// URL (pages refuse
// to show http:// pictures, so they are refused here, not silently lost).
function imageOK(u) { return !u || u.startsWith('/') || /^https:\/\/[^\s]+$/i.test(u); }
const imageRule = () => t('dash.image.rule');

async function unbind(id) {
  try {
    await api.put(`/api/rooms/${encodeURIComponent(selected)}/products`, { product_ids: roomProductIds.filter((x) => x !== id) });
    loadProducts();
  } catch (err) { fail(err); }
}

// The room's goods in a new order (the order viewers see them in).
async function move(id, by) {
  const ids = [...roomProductIds];
  const i = ids.indexOf(id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= ids.length) return;
  [ids[i], ids[j]] = [ids[j], ids[i]];
  try {
    await api.put(`/api/rooms/${encodeURIComponent(selected)}/products`, { product_ids: ids });
    loadProducts();
  } catch (err) { fail(err); }
}

// An image file is stored by the server (POST /api/images); its URL fills
// the product's image field.
const imageErrors = {
  invalid_image: 'dash.image.invalid',
  body_too_large: 'dash.image.toobig',
};
function uploader(fileId, urlId) {
  $(fileId).addEventListener('change', async () => {
    const file = $(fileId).files[0];
    if (!file) return;
    $('dash-error').textContent = '';
    try {
      const res = await fetch('/api/images', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: file, credentials: 'omit' });
      const j = await res.json().catch(() => ({}));
      if (!res.ok) {
        const code = (j.error && j.error.code) || '';
        $('dash-error').textContent = imageErrors[code] ? t(imageErrors[code]) : t('dash.image.failed', { why: (j.error && j.error.message) || res.status });
        return;
      }
      $(urlId).value = j.url || j.path || '';
      $(fileId).value = '';
    } catch (err) { $('dash-error').textContent = t('dash.image.unreachable'); }
  });
}
uploader('e-upload', 'e-image');
uploader('p-upload', 'p-image');

let editing = null;
function editProduct(p) {
  editing = p;
  $('edit-product').hidden = false;
  $('e-heading').textContent = t('dash.edit.label', { title: p.title || p.id });
  $('e-title').value = p.title || '';
  $('e-price').value = toMajor(p.price_minor, p.currency);
  $('e-floor').value = p.min_live_price_minor ? toMajor(p.min_live_price_minor, p.currency) : '';
  $('e-limit').value = p.per_user_limit ? String(p.per_user_limit) : '';
  $('e-image').value = (Array.isArray(p.images) && p.images[0]) || p.image || '';
  $('e-title').focus();
}
$('e-cancel').addEventListener('click', () => { editing = null; $('edit-product').hidden = true; });
$('edit-product').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!editing) return;
  const cur = editing.currency;
  const price = toMinor($('e-price').value, cur);
  if (!(price > 0)) { $('dash-error').textContent = t('dash.price.type', { cur }); return; }
  const body = { title: $('e-title').value.trim(), price_minor: price };
  const floor = $('e-floor').value.trim();
  if (floor) {
    const f = toMinor(floor, cur);
    if (!(f > 0)) { $('dash-error').textContent = t('dash.floor.type', { cur }); return; }
    body.min_live_price_minor = f;
  } else if (editing.min_live_price_minor) body.min_live_price_minor = 0;
  body.per_user_limit = parseInt($('e-limit').value, 10) > 0 ? parseInt($('e-limit').value, 10) : 0;
  const img = $('e-image').value.trim();
  if (!imageOK(img)) { $('dash-error').textContent = imageRule(); return; }
  body.images = img ? [img] : [];
  try {
    await api.patch(`/api/products/${encodeURIComponent(editing.id)}`, body);
    $('dash-error').textContent = '';
    editing = null;
    $('edit-product').hidden = true;
    loadProducts();
  } catch (err) { fail(err); }
});

// A product is created in the shop's catalog, then added to the room's list.
$('new-product').addEventListener('submit', async (e) => {
  e.preventDefault();
  const currency = $('p-cur').value.trim().toUpperCase();
  const price = toMinor($('p-price').value, currency);
  if (!(price > 0)) { $('dash-error').textContent = t('dash.price.type', { cur: currency || t('dash.thecurrency') }); return; }
  const body = {
    title: $('p-title').value.trim(),
    price_minor: price,
    currency,
    stock: parseInt($('p-stock').value, 10),
  };
  const limit = parseInt($('p-limit').value, 10);
  if (limit > 0) body.per_user_limit = limit;
  const img = $('p-image').value.trim();
  if (!imageOK(img)) { $('dash-error').textContent = imageRule(); return; }
  if (img) body.images = [img];
  try {
    const p = await api.post('/api/products', body);
    await api.put(`/api/rooms/${encodeURIComponent(selected)}/products`, { product_ids: [...roomProductIds, p.id] });
    $('p-title').value = '';
    $('dash-error').textContent = '';
    loadProducts();
  } catch (err) { fail(err); }
});

// ---- orders ----
async function loadOrders() {
  const q = new URLSearchParams();
  if ($('f-room').value.trim()) q.set('room', $('f-room').value.trim());
  if ($('f-status').value) q.set('status', $('f-status').value);
  const tb = $('orders');
  try {
    const orders = list(await api.get(`/api/orders?${q}`), 'orders', 'items');
    clear(tb);
    if (!orders.length) tb.append(h('tr', {}, h('td', { colspan: '7', class: 'empty' }, t('dash.noorders'))));
    for (const o of orders) {
      const created = o.created_at ? new Date(typeof o.created_at === 'number' ? o.created_at : Date.parse(o.created_at)) : null;
      tb.append(h('tr', { dataset: { order: o.id, status: String(o.status || '') } },
        h('td', {}, h('code', {}, o.id)),
        h('td', {}, o.room || ''),
        h('td', {}, o.product_title || o.product_id || ''),
        h('td', {}, String(o.quantity || 1)),
        h('td', {}, money(o.amount_minor, o.currency)),
        h('td', {}, h('span', { class: `state state-${String(o.status || '').toLowerCase()}` }, String(o.status || '').toLowerCase()), ' ', ...orderActions(o)),
        h('td', {}, created && !isNaN(created) ? created.toLocaleString(currentLang()) : '')));
    }
  } catch (err) { fail(err); }
}
// Ship or refund a paid order, by the operator (a shipped one can no longer be refunded here).
function orderActions(o) {
  const st = String(o.status || '').toUpperCase();
  const out = [];
  if (st === 'PAID') out.push(h('button', { class: 'btn-mini ship', type: 'button', 'aria-label': t('dash.ship.label', { id: o.id }), onclick: () => orderAction(o.id, 'ship') }, t('dash.ship')));
  if (st === 'PAID') out.push(h('button', { class: 'btn-mini btn-danger refund', type: 'button', 'aria-label': t('dash.refund.label', { id: o.id }), onclick: () => orderAction(o.id, 'refund') }, t('dash.refund')));
  return out;
}

async function orderAction(id, what) {
  try {
    await api.post(`/api/orders/${encodeURIComponent(id)}/${what}`, {});
    $('dash-error').textContent = '';
    loadOrders();
  } catch (err) { fail(err); }
}
$('order-filter').addEventListener('submit', (e) => { e.preventDefault(); loadOrders(); });

// ---- charts ----
async function loadCharts() {
  if (!selected) return;
  let s;
  try { s = await api.get(`/api/rooms/${encodeURIComponent(selected)}/timeline`); } catch (err) { s = null; }
  let orders = null;
  try { orders = await api.get(`/api/rooms/${encodeURIComponent(selected)}/stats`); } catch (_) { /* commerce stats optional */ }
  const box = $('charts');
  clear(box);
  if (!s) { box.append(h('p', { class: 'empty' }, t('dash.nostats'))); return; }
  // Series from the API when it has them; otherwise sample the counters.
  const hist = history.get(selected) || [];
  hist.push({ t: Date.now(), viewers: Number(s.online ?? 0), likes: Number(s.likes ?? 0), danmaku: Number(s.danmaku ?? 0), clicks: Number(s.clicks ?? 0) });
  while (hist.length > 120) hist.shift();
  history.set(selected, hist);
  const series = (name, key) => (Array.isArray(s[name]) && s[name].length > 1 ? s[name].map((p) => ({ t: p.t ?? p.at, v: p.v ?? p.value ?? p.online ?? p.n })) : hist.map((p) => ({ t: p.t, v: p[key] })));
  const rate = (pts) => pts.slice(1).map((p, i) => ({ t: p.t, v: Math.max(0, (p.v - pts[i].v) / Math.max(1, (p.t - pts[i].t) / 60000)) }));
  box.append(
    chartCard(t('dash.chart.viewers', { now: Number(s.online || 0), peak: Number(s.peak || 0) }), lineChart(series('timeline', 'viewers'), { label: t('dash.chart.viewers.axis') })),
    chartCard(t('dash.chart.likes', { n: Number(s.likes || 0) }), lineChart(series('likes_series', 'likes'), { label: t('dash.chart.likes.axis'), color: '#ff4f7b' })),
    chartCard(t('dash.chart.danmaku', { n: Number(s.danmaku || 0) }), lineChart(rate(series('danmaku_series', 'danmaku')), { label: t('dash.chart.danmaku.axis'), color: '#7b61ff' })),
  );
  const o = orders || {};
  const clicks = Number(s.clicks ?? 0), paid = Number(o.paid_orders ?? 0);
  const conv = o.conversion === null || o.conversion === undefined ? '–' : `${Math.round(Number(o.conversion) * 1000) / 10}%`;
  box.append(chartCard(t('dash.chart.funnel', { conv, revenue: money(o.revenue_minor || 0, o.currency || 'USD') }),
    barChart([{ label: t('dash.bar.watchers'), v: Number(o.watchers ?? 0) }, { label: t('dash.bar.clicks'), v: clicks }, { label: t('dash.bar.orders'), v: Number(o.orders ?? 0) }, { label: t('dash.bar.paid'), v: paid }])));
}

function chartCard(title, svg) {
  return h('figure', { class: 'chart' }, svg, h('figcaption', {}, title));
}

translatePage();
languageSwitch(document.querySelector('.topbar'));
if (token) enter(); else showLogin();
