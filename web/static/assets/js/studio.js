// /studio/{room}: the anchor's studio. Sign in with the room's push key (or
// the admin token), choose camera and microphone, preview, go live over WHIP
// with three simulcast layers, watch health, comments, likes, orders and
// revenue, present goods, and end the live.

import { Api, ApiError, browserConfig, money, roomFromPath, h, clear } from './api.js';
import { MediaSession } from './whip.js';
import { RoomEvents } from './events.js';
import { DanmakuList } from './danmaku.js';

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
  await endLive();
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
  document.body.dataset.role = admin ? 'admin' : 'anchor';
  $('login').hidden = true;
  $('studio').hidden = false;
  $('logout').hidden = false;
  await startPreview();
  loadGoods();
  loadPresenting();
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
    document.body.dataset.roomState = r.state || '';
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
  $('studio-error').textContent = '';
  if (!state.stream) await startPreview();
  if (!state.stream) return;
  const cfg = await browserConfig();
  $('go-live').disabled = true;
  setBadge('Connecting…', 'badge-wait');
  const session = new MediaSession({
    kind: 'whip', url: `/whip/${encodeURIComponent(room)}`, token: () => pushKey,
    iceServers: cfg.ice_servers || [], stream: state.stream, simulcast: $('simulcast').checked,
  });
  state.session = session;
  session.addEventListener('datachannel', (ev) => state.events && state.events.useDataChannel(ev.detail));
  session.addEventListener('state', (ev) => {
    const s = ev.detail;
    if (s === 'connected') setBadge('● LIVE', 'badge-live');
    else if (s === 'reconnecting') setBadge('Reconnecting…', 'badge-wait');
    else if (s === 'closed') setBadge('Offline', 'badge-off');
  });
  session.addEventListener('error', (ev) => showError('studio-error', ev.detail));
  try {
    await session.start();
    $('end-live').disabled = false;
    $('end-live').focus();
    clearInterval(state.healthTimer);
    state.healthTimer = setInterval(updateHealth, 1000);
  } catch (err) {
    showError('studio-error', err);
    setBadge('Offline', 'badge-off');
    $('go-live').disabled = false;
    state.session = null;
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      $('login-error').textContent = 'That key was refused. Paste the room push key.';
      sessionStorage.removeItem(storeKey);
      showLogin();
    }
  }
}

async function endLive() {
  clearInterval(state.healthTimer);
  const s = state.session;
  state.session = null;
  if (s) await s.close();
  if (admin) {
    // Only the operator may mark the room ended; an anchor's leave pauses it.
    try { await api.post(`/api/rooms/${encodeURIComponent(room)}/end`, {}); } catch (err) { showError('studio-error', err); }
  }
  setBadge('Ended', 'badge-off');
  $('go-live').disabled = false;
  $('end-live').disabled = true;
}
$('go-live').addEventListener('click', goLive);
$('end-live').addEventListener('click', endLive);
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
        h('span', { class: 'good-stock' }, `${Number(p.stock_left ?? p.stock ?? 0)} left`),
        h('button', { class: 'btn btn-primary present', type: 'button', 'aria-label': `Present ${p.title || id}`, onclick: () => present(id) }, 'Present this')));
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
  state.presenting = shown ? card.product_id : '';
  $('presenting').textContent = shown ? `Presenting: ${card.title || card.product_id} · ${Number(card.stock_left ?? 0)} left` : 'Nothing presented';
  $('hide-card').disabled = !shown;
  for (const li of $('goods').children) li.classList.toggle('is-presenting', !!shown && li.dataset.id === card.product_id);
}

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

window.livesell = { state, goLive, endLive };
if (key) enter(); else showLogin();
