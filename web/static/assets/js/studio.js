// /studio/{room}: the anchor's studio. Sign in with the room's push key (or
// the admin token), choose camera and microphone, preview, go live over WHIP
// with three simulcast layers, watch health, comments, likes, orders and
// revenue, present goods, and end the live.

import { Api, ApiError, browserConfig, roomFromPath, h, clear } from './api.js';
import { t, money, toMinor, currencyDigits, translatePage, languageSwitch, buyerMessage } from './i18n.js';
import { MediaSession } from './whip.js';
import { RoomEvents } from './events.js';
import { DanmakuList } from './danmaku.js';
import { mountCoupons } from './studio-coupons.js';

const room = roomFromPath();
const storeKey = `livesell.studio.${room}`;
const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem(storeKey) || '';
// With the admin token the studio issues itself a push key of the room
// (publishing needs one); with a push key both are the same.
let pushKey = '';
let admin = false;
const api = new Api('', () => key);

const state = {
  stream: null,
  session: null,
  events: null,
  healthTimer: 0,
  orders: 0,
  revenue: 0,
  currency: 'USD',
  presenting: '',
  seenOrders: new Set(),
};

$('room-name').textContent = room;
translatePage();
languageSwitch(document.querySelector('.topbar'));

function showError(where, err) {
  const msg = err instanceof ApiError ? `${err.message}` : String(err && err.message ? err.message : err);
  $(where).textContent = msg;
}

function setBadge(text, cls) {
  const b = $('live-badge');
  b.textContent = text;
  b.className = `badge ${cls}`;
  document.body.dataset.live = cls === 'badge-live' ? 'true' : 'false';
}

// ---- login ----
function showLogin() {
  $('login').hidden = false;
  $('studio').hidden = true;
  $('logout').hidden = true;
  $('login-key').focus();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  key = $('login-key').value.trim();
  if (!key) return;
  sessionStorage.setItem(storeKey, key);
  $('login-key').value = '';
  enter();
});
$('logout').addEventListener('click', async () => {
  await pauseLive();
  sessionStorage.removeItem(storeKey);
  key = '';
  showLogin();
});

async function enter() {
  admin = false;
  pushKey = key;
  try {
    await api.get('/api/moderation/words');
    admin = true;
  } catch (_) { /* not the admin token: a push key */ }
  if (!admin) {
    try {
      await api.get(`/api/rooms/${encodeURIComponent(room)}/timeline`);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        $('login-error').textContent = 'That key was refused. Paste the room push key.';
        sessionStorage.removeItem(storeKey);
        showLogin();
        return;
      }
    }
  }
  if (admin) {
    try {
      const k = await api.post(`/api/rooms/${encodeURIComponent(room)}/keys`, {});
      pushKey = k.push_key;
    } catch (err) {
      $('login-error').textContent = err instanceof ApiError && err.status === 404 ? 'There is no such room.' : String(err.message || err);
      sessionStorage.removeItem(storeKey);
      showLogin();
      return;
    }
  }
  // A show that has ended stays ended: no camera, no connection.
  try {
    const r = await api.get(`/api/rooms/${encodeURIComponent(room)}`);
    if (r && r.state === 'ended') {
      $('login').hidden = true;
      $('studio').hidden = false;
      $('logout').hidden = false;
      showEnded();
      return;
    }
  } catch (_) { /* the checks below say more */ }
  document.body.dataset.role = admin ? 'admin' : 'anchor';
  // Ending for good is the operator's call (admin token); an anchor pauses.
  $('end-show').hidden = !admin;
  $('login').hidden = true;
  $('studio').hidden = false;
  $('logout').hidden = false;
  await startPreview();
  loadGoods();
  loadPresenting();
  mountCoupons($('coupon-tool'), { api, room });
  connectEvents();
  clearInterval(state.roomTimer);
  state.roomTimer = setInterval(pollRoom, 3000);
  pollRoom();
}

// Paid orders and revenue come from the commerce stats when the key may read
// them; purchase tickers only count while they cannot be read.
async function pollStats() {
  const st = await api.get(`/api/rooms/${encodeURIComponent(room)}/stats`);
  state.statsOK = true;
  state.orders = Number(st.paid_orders || 0);
  state.revenue = Number(st.revenue_minor || 0);
  if (st.currency) state.currency = st.currency;
  $('s-orders').textContent = String(state.orders);
  $('s-revenue').textContent = money(state.revenue, state.currency);
}

// The room API counts this node's viewers; room events (when connected)
// carry the cluster-wide count and win.
async function pollRoom() {
  try {
    await pollStats();
  } catch (_) { /* commerce stats unavailable */ }
  try {
    const r = await api.get(`/api/rooms/${encodeURIComponent(room)}`);
    if (!state.countsAt || Date.now() - state.countsAt > 5000) {
      if (r.viewers !== undefined) $('s-viewers').textContent = String(Number(r.viewers) || 0);
    }
    if (!state.ended) document.body.dataset.roomState = r.state || '';
    if (r.state === 'ended') showEnded();
  } catch (_) { /* keep the last values */ }
}

// ---- devices and preview ----
async function startPreview() {
  const cam = $('camera').value, mic = $('mic').value;
  const constraints = {
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 }, ...(cam ? { deviceId: { exact: cam } } : {}) },
    audio: mic ? { deviceId: { exact: mic } } : true,
  };
  try {
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    if (state.stream) {
      for (const t of state.stream.getTracks()) t.stop();
      if (state.session) for (const t of stream.getTracks()) await state.session.replaceTrack(t);
    }
    state.stream = stream;
    $('preview').srcObject = stream;
    $('preview-status').textContent = '';
    $('preview-status').hidden = true;
    await listDevices();
  } catch (err) {
    $('preview-status').hidden = false;
    $('preview-status').textContent = `Camera unavailable: ${err.message || err}`;
  }
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [id, kind] of [['camera', 'videoinput'], ['mic', 'audioinput']]) {
    const sel = $(id);
    const current = state.stream && state.stream.getTracks().find((t) => t.kind === (kind === 'videoinput' ? 'video' : 'audio'));
    const currentId = current && current.getSettings().deviceId;
    clear(sel);
    devices.filter((d) => d.kind === kind).forEach((d, i) => {
      sel.append(h('option', { value: d.deviceId, selected: d.deviceId === currentId }, d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`));
    });
  }
}
$('camera').addEventListener('change', startPreview);
$('mic').addEventListener('change', startPreview);

// ---- going live ----
async function goLive() {
  if (state.ended) return;
  $('studio-error').textContent = '';
  if (!state.stream) await startPreview();
  if (!state.stream) return;
  const cfg = await browserConfig();
  $('go-live').disabled = true;
  setBadge(t('studio.badge.connecting'), 'badge-wait');
  const session = new MediaSession({
    kind: 'whip', url: `/whip/${encodeURIComponent(room)}`, token: () => pushKey,
    iceServers: cfg.ice_servers || [], stream: state.stream, simulcast: $('simulcast').checked,
  });
  state.session = session;
  session.addEventListener('datachannel', (ev) => state.events && state.events.useDataChannel(ev.detail));
  session.addEventListener('state', (ev) => {
    const s = ev.detail;
    if (state.ended) return;
    if (s === 'connected') setBadge(t('studio.badge.live'), 'badge-live');
    else if (s === 'reconnecting') { setBadge(t('studio.badge.reconnecting'), 'badge-wait'); checkEnded(); }
    else if (s === 'closed') setBadge(t('studio.badge.offline'), 'badge-off');
  });
  session.addEventListener('error', (ev) => showError('studio-error', ev.detail));
  try {
    await session.start();
    $('pause-live').disabled = false;
    $('pause-live').focus();
    clearInterval(state.healthTimer);
    state.healthTimer = setInterval(updateHealth, 1000);
  } catch (err) {
    state.session = null;
    if (err instanceof ApiError && (err.status === 410 || err.code === 'room_ended')) { showEnded(); return; }
    showError('studio-error', err);
    setBadge(t('studio.badge.offline'), 'badge-off');
    $('go-live').disabled = false;
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      $('login-error').textContent = 'That key was refused. Paste the room push key.';
      sessionStorage.removeItem(storeKey);
      showLogin();
    }
  }
}

// Pause: the WHIP session closes; the room waits ("right back") and the
// anchor may go live again.
async function pauseLive() {
  clearInterval(state.healthTimer);
  const s = state.session;
  state.session = null;
  if (s) await s.close();
  if (state.ended) return;
  setBadge(t('studio.badge.paused'), 'badge-wait');
  $('go-live').disabled = false;
  $('pause-live').disabled = true;
  $('go-live').focus();
}

// End: for good, after a confirmation (the operator's call: admin token).
function askEnd() {
  const d = $('end-confirm');
  d.returnValue = '';
  d.showModal();
}
$('end-confirm').addEventListener('close', async () => {
  if ($('end-confirm').returnValue !== 'end') { $('end-show').focus(); return; }
  try {
    await api.post(`/api/rooms/${encodeURIComponent(room)}/end`, {});
  } catch (err) { showError('studio-error', err); return; }
  await pauseLive();
  showEnded();
});

// The room has ended: say so, stop every connection, offer nothing to retry.
function showEnded() {
  if (state.ended) return;
  state.ended = true;
  clearInterval(state.healthTimer);
  clearInterval(state.roomTimer);
  if (state.session) { state.session.close(); state.session = null; }
  if (state.events) { state.events.close(); state.events = null; }
  setBadge(t('studio.badge.ended'), 'badge-off');
  document.body.dataset.roomState = 'ended';
  for (const id of ['go-live', 'pause-live', 'end-show']) $(id).disabled = true;
  $('studio-error').textContent = t('studio.ended');
}

async function checkEnded() {
  try {
    const r = await api.get(`/api/rooms/${encodeURIComponent(room)}`);
    if (r && r.state === 'ended') showEnded();
  } catch (_) { /* next time */ }
}

$('go-live').addEventListener('click', goLive);
$('pause-live').addEventListener('click', pauseLive);
$('end-show').addEventListener('click', askEnd);
addEventListener('pagehide', () => { if (state.session) state.session.close(); });

async function updateHealth() {
  if (!state.session) return;
  const hl = await state.session.health();
  $('h-bitrate').textContent = hl.bitrate ? `${Math.round(hl.bitrate / 1000)} kbps` : '–';
  $('h-fps').textContent = hl.fps ? String(Math.round(hl.fps)) : '–';
  $('h-loss').textContent = `${hl.loss}%`;
  $('h-res').textContent = hl.width ? `${hl.width}×${hl.height}` : '–';
  $('h-layers').textContent = String(hl.layers || 0);
  $('h-rtt').textContent = hl.rtt ? `${hl.rtt} ms` : '–';
}

// ---- room events: comments, likes, viewers, orders ----
const dmList = new DanmakuList($('danmaku'), (item, li) => {
  const id = item.id;
  const user = item.user_id || item.user;
  const bar = h('span', { class: 'dm-actions' });
  if (id) bar.append(h('button', { class: 'btn-mini', type: 'button', 'aria-label': 'Delete comment', onclick: () => moderate({ type: 'delete', message_id: id }, li) }, 'Delete'));
  if (user) bar.append(h('button', { class: 'btn-mini', type: 'button', 'aria-label': `Mute ${user}`, onclick: () => moderate({ type: 'mute', user_id: user }, null) }, 'Mute'));
  li.append(bar);
});

function moderate(msg, li) {
  const sent = state.events && state.events.send(msg);
  if (sent && li) li.remove();
}

function connectEvents() {
  if (state.events) return;
  const ev = new RoomEvents({ room, token: () => pushKey, anchor: true });
  state.events = ev;
  ev.addEventListener('welcome', (e) => {
    const m = e.detail;
    if (Array.isArray(m.recent)) for (const d of m.recent) if (d && typeof d === 'object') dmList.add(d);
    roomState(m);
    if (m.card) presenting(m.card);
  });
  ev.addEventListener('batch', (e) => roomState(e.detail));
  ev.addEventListener('danmaku', (e) => dmList.add(e.detail));
  ev.addEventListener('delete', (e) => dmList.remove(e.detail.message_id || e.detail.id));
  ev.addEventListener('like', (e) => likes(e.detail));
  ev.addEventListener('likes', (e) => likes(e.detail));
  ev.addEventListener('state', (e) => roomState(e.detail));
  ev.addEventListener('ticker', (e) => order(e.detail));
  ev.addEventListener('order', (e) => order(e.detail));
  ev.addEventListener('card', (e) => presenting(e.detail.card || e.detail));
  ev.addEventListener('error', (e) => showError('studio-error', e.detail));
  ev.startWebSocket();
}

function likes(m) {
  const total = Number(m.total ?? m.likes ?? NaN);
  const el = $('s-likes');
  el.textContent = String(Number.isFinite(total) ? total : Number(el.textContent) + Number(m.count || 1));
}

function roomState(m) {
  if (!m || typeof m !== 'object') return;
  const viewers = m.viewers ?? m.online;
  if (viewers !== undefined) {
    state.countsAt = Date.now();
    $('s-viewers').textContent = String(Number(viewers) || 0);
  }
  const l = m.likes_total ?? m.likes;
  if (l !== undefined) $('s-likes').textContent = String(Number(l) || 0);
  if ((m.room_state || (typeof m.state === 'string' ? m.state : '')) === 'ended') showEnded();
}

function order(m) {
  const id = m.order_id || m.id;
  if (id && state.seenOrders.has(id)) return;
  if (id) state.seenOrders.add(id);
  if (state.statsOK) {
    pollStats().catch(() => {});
  } else {
    state.orders++;
    state.revenue += Number(m.amount_minor || 0);
    if (m.currency) state.currency = m.currency;
    $('s-orders').textContent = String(state.orders);
    $('s-revenue').textContent = money(state.revenue, state.currency);
  }
  // Stock moved: refresh the goods list (debounced).
  clearTimeout(state.goodsTimer);
  state.goodsTimer = setTimeout(loadGoods, 500);
  const li = h('li', { class: 'order-item' },
    h('span', { class: 'order-title' }, `${m.product_title || m.title || 'item'} × ${Number(m.quantity || 1)}`),
    h('span', { class: 'order-city' }, m.city || ''),
    h('span', { class: 'order-amount' }, m.amount_minor ? money(m.amount_minor, m.currency) : ''));
  $('orders').prepend(li);
}

// ---- goods and the product card ----
async function loadGoods() {
  try {
    const res = await api.get(`/api/rooms/${encodeURIComponent(room)}/products`);
    const list = Array.isArray(res) ? res : (res.products || res.items || []);
    const ul = $('goods');
    clear(ul);
    if (!list.length) ul.append(h('li', { class: 'empty' }, 'No goods in this room yet — add them in the dashboard.'));
    for (const p of list) {
      const id = p.id || p.product_id;
      const price = p.live_price_minor || p.price_minor;
      const img = p.image || (Array.isArray(p.images) ? p.images[0] : '');
      ul.append(h('li', { class: 'good', dataset: { id } },
        img && /^(https:|\/|data:image\/)/.test(img) ? h('img', { src: img, alt: '' }) : h('span', { class: 'good-ph', 'aria-hidden': 'true' }, (p.title || '?').slice(0, 1).toUpperCase()),
        h('span', { class: 'good-title' }, p.title || id),
        h('span', { class: 'good-price' }, money(price, p.currency)),
        h('span', { class: 'good-stock' }, t('card.left', { n: Number(p.stock_left ?? p.stock ?? 0) })),
        h('button', { class: 'btn btn-primary present', type: 'button', 'aria-label': `${t('studio.present')} ${p.title || id}`, onclick: () => present(id) }, t('studio.present'))));
    }
  } catch (err) {
    showError('studio-error', err);
  }
}
$('reload-goods').addEventListener('click', loadGoods);

async function loadPresenting() {
  try { presenting(await api.get(`/api/rooms/${encodeURIComponent(room)}/presenting`)); } catch (_) { /* none */ }
}

async function present(productId) {
  try {
    const card = await api.post(`/api/rooms/${encodeURIComponent(room)}/presenting`, { product_id: productId });
    presenting(card && (card.card || card));
  } catch (err) {
    showError('studio-error', err);
  }
}

$('hide-card').addEventListener('click', async () => {
  try {
    await api.del(`/api/rooms/${encodeURIComponent(room)}/presenting`);
    presenting({ shown: false });
  } catch (err) { showError('studio-error', err); }
});

function presenting(card) {
  if (!card) return;
  const shown = card.shown !== false && card.product_id;
  const changed = state.presenting !== (shown ? card.product_id : '');
  state.presenting = shown ? card.product_id : '';
  state.card = shown ? card : null;
  $('presenting').textContent = shown ? t('studio.presenting', { title: card.title || card.product_id, n: Number(card.stock_left ?? 0) }) : t('studio.nothing');
  $('hide-card').disabled = !shown;
  for (const li of $('goods').children) li.classList.toggle('is-presenting', !!shown && li.dataset.id === card.product_id);
  $('sell-form').hidden = !shown;
  if (shown && changed) fillSell(card);
}

// ---- sell: live price, flash-sale window and stock of the presented product ----
function fillSell(card) {
  const cur = card.currency || 'USD';
  $('sell-product').textContent = `${card.title || card.product_id} · ${money(card.price_minor, cur)}`;
  const live = card.live_price_minor || card.price_minor || 0;
  $('sell-price').value = (live / 10 ** currencyDigits(cur)).toFixed(currencyDigits(cur));
  $('sell-stock').value = String(Number(card.stock_left ?? 0));
  $('sell-status').textContent = '';
  api.get(`/api/products/${encodeURIComponent(card.product_id)}`).then((p) => {
    const floor = Number(p.min_live_price_minor || 0);
    $('sell-floor').textContent = floor > 0 ? t('studio.floor', { price: money(floor, cur) }) : '';
  }).catch(() => { $('sell-floor').textContent = ''; });
}

$('sell-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const card = state.card;
  if (!card) return;
  const cur = card.currency || 'USD';
  const minor = toMinor($('sell-price').value, cur);
  if (!Number.isFinite(minor) || minor <= 0) { $('sell-status').textContent = t('studio.badprice'); return; }
  const opens = Number($('sell-opens').value || 0), lasts = Number($('sell-lasts').value || 0);
  const body = { product_id: card.product_id };
  if (minor !== card.price_minor) body.live_price_minor = minor;
  if (opens > 0 || lasts > 0) {
    const start = new Date(Date.now() + Math.max(0, opens) * 60000);
    body.sale_starts_at = start.toISOString();
    if (lasts > 0) body.sale_ends_at = new Date(start.getTime() + lasts * 60000).toISOString();
  }
  try {
    const stock = Number($('sell-stock').value);
    if ($('sell-stock').value !== '' && stock !== Number(card.stock_left ?? 0)) {
      await api.put(`/api/products/${encodeURIComponent(card.product_id)}/stock`, { stock });
    }
    const res = await api.post(`/api/rooms/${encodeURIComponent(room)}/presenting`, body);
    state.presenting = '';
    presenting(res && (res.card || res));
    $('sell-status').textContent = t('studio.applied');
  } catch (err) {
    $('sell-status').textContent = err instanceof ApiError && err.code === 'price_below_floor' ? t('err.price_below_floor')
      : err instanceof ApiError && (err.status === 403) ? t('studio.stock.admin') : buyerMessage(err);
  }
});

// ---- keyboard: Alt+L go live, Alt+E end (accesskey), Escape leaves fields ----
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.activeElement && document.activeElement.blur) document.activeElement.blur();
});
$('pin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('pin-text').value.trim();
  if (state.events && state.events.pin(t)) $('pin-status').textContent = t ? `Pinned: ${t}` : 'Unpinned';
});

$('anchor-say').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('anchor-text').value.trim();
  if (t && state.events && state.events.danmaku(t)) $('anchor-text').value = '';
});

window.livesell = { state, goLive, pauseLive };
if (key) enter(); else showLogin();
