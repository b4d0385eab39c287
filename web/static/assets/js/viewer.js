// The viewer room, shared by /live/{room} and the <livesell-room> element:
// WHEP playback (autoplay muted, tap to unmute), danmaku over the video and
// beside it, likes with floating hearts, the presented product with a Buy
// button that runs order → pay (sandbox checkout in an overlay) →
// confirmation without leaving the room, and the purchase ticker.

import { Api, ApiError, browserConfig, money, newIdempotencyKey, h, clear } from './api.js';
import { MediaSession } from './whip.js';
import { RoomEvents } from './events.js';
import { DanmakuLayer, DanmakuList } from './danmaku.js';

const ORDER_POLL_MS = 1000;
const ORDER_POLL_LIMIT_MS = 15 * 60 * 1000;

/** Normalizes a card event or API answer into a ProductCard-like object. */
export function cardOf(msg) {
  if (!msg || typeof msg !== 'object') return null;
  const c = msg.card || msg.product_card || msg.data || msg;
  if (!c || typeof c !== 'object') return null;
  return c;
}

export class Viewer {
  /**
   * @param {HTMLElement} root where to render
   * @param {object} o
   * @param {string} o.base server origin ('' = this page's)
   * @param {string} o.room
   * @param {string} [o.token] user JWT ('' = anonymous)
   * @param {boolean} [o.hideChat]
   * @param {string} [o.layer] q|h|f or '' (automatic)
   * @param {(name: string, detail: object) => void} [o.onEvent] ready, live, ended, product, order-paid, state
   * @param {(product: object) => boolean} [o.onBuy] false = the host handles checkout
   */
  constructor(root, o) {
    this.root = root;
    this.base = (o.base || '').replace(/\/$/, '');
    this.room = o.room;
    this.token = o.token || '';
    this.hideChat = !!o.hideChat;
    this.layer = o.layer || '';
    this.onEvent = o.onEvent || (() => {});
    this.onBuy = o.onBuy || (() => true);
    this.api = new Api(this.base, () => this.token);
    this.card = null;
    this.cardVersion = -1;
    this.likes = 0;
    this.state = 'connecting';
    this.session = null;
    this.events = null;
    this.lastOrder = null;
    this._stopped = false;
    this._pending = new Map(); // ref → text of comments awaiting their ack
    this._refs = 0;
    this._render();
  }

  _render() {
    const el = {};
    el.video = h('video', { class: 'ls-video', playsinline: true, autoplay: true, muted: true, 'aria-label': 'Live video' });
    el.video.muted = true;
    el.layer = h('div', { class: 'ls-danmaku-layer' });
    el.status = h('div', { class: 'ls-status', role: 'status', 'aria-live': 'polite' }, 'Connecting…');
    el.unmute = h('button', { class: 'ls-unmute', type: 'button', onclick: () => this.unmute() }, '♪ Tap to unmute');
    el.ticker = h('div', { class: 'ls-ticker', 'aria-live': 'polite', hidden: true });
    el.pinned = h('div', { class: 'ls-pinned', role: 'note', 'aria-label': 'Announcement', hidden: true });
    el.hearts = h('div', { class: 'ls-hearts', 'aria-hidden': 'true' });
    el.cardImg = h('img', { class: 'ls-card-img', alt: '' });
    el.cardTitle = h('div', { class: 'ls-card-title' });
    el.cardPrice = h('div', { class: 'ls-card-price' });
    el.cardWas = h('s', { class: 'ls-card-was' });
    el.cardStock = h('div', { class: 'ls-card-stock' });
    el.buy = h('button', { class: 'ls-buy', type: 'button', onclick: () => this.buy() }, 'Buy now');
    el.card = h('div', { class: 'ls-card', hidden: true, role: 'region', 'aria-label': 'Product on sale' },
      el.cardImg, h('div', { class: 'ls-card-body' }, el.cardTitle, h('div', { class: 'ls-card-prices' }, el.cardPrice, el.cardWas), el.cardStock), el.buy);
    el.viewers = h('span', { class: 'ls-viewers', title: 'Viewers online' }, '0 watching');
    el.likeCount = h('span', { class: 'ls-like-count' }, '0');
    el.like = h('button', { class: 'ls-like', type: 'button', 'aria-label': 'Like', onclick: () => this.like() }, '❤', el.likeCount);
    el.stage = h('div', { class: 'ls-stage' }, el.video, el.layer, el.hearts, el.status, el.unmute, el.ticker, el.pinned, el.card,
      h('div', { class: 'ls-stage-bar' }, h('span', { class: 'ls-live-badge' }, 'LIVE'), el.viewers));
    el.list = h('ul', { class: 'ls-dm-list', 'aria-label': 'Comments', 'aria-live': 'polite' });
    el.input = h('input', { class: 'ls-dm-input', type: 'text', maxlength: '200', 'aria-label': 'Write a comment', placeholder: 'Say something…', autocomplete: 'off' });
    el.send = h('button', { class: 'ls-dm-send', type: 'submit' }, 'Send');
    el.chatError = h('p', { class: 'ls-dm-error', role: 'alert' });
    el.form = h('form', { class: 'ls-dm-form', onsubmit: (e) => { e.preventDefault(); this.sendDanmaku(); } }, el.input, el.send);
    el.side = h('aside', { class: 'ls-side', 'aria-label': 'Chat' }, el.list, el.chatError, h('div', { class: 'ls-actions' }, el.form, el.like));
    el.checkoutFrame = h('iframe', { class: 'ls-checkout-frame', title: 'Checkout' });
    el.checkoutMsg = h('p', { class: 'ls-checkout-msg', role: 'status', 'aria-live': 'polite' });
    el.checkoutClose = h('button', { class: 'ls-checkout-close', type: 'button', 'aria-label': 'Close checkout', onclick: () => this.closeCheckout() }, '×');
    el.checkout = h('div', { class: 'ls-checkout', hidden: true, role: 'dialog', 'aria-label': 'Checkout', 'aria-modal': 'true' },
      h('div', { class: 'ls-checkout-box' }, el.checkoutClose, el.checkoutMsg, el.checkoutFrame));
    el.wrap = h('div', { class: 'ls-room' + (this.hideChat ? ' ls-nochat' : '') }, el.stage, this.hideChat ? null : el.side, el.checkout);
    el.wrap.dataset.state = 'connecting';
    clear(this.root);
    this.root.appendChild(el.wrap);
    this.el = el;
    this.flyer = new DanmakuLayer(el.layer);
    this.list = new DanmakuList(el.list);
  }

  _setState(state, text) {
    this.state = state;
    this.el.wrap.dataset.state = state;
    this.el.status.textContent = text || '';
    this.el.status.hidden = !text;
    this.onEvent('state', { state });
  }

  /** Starts playback and room events. */
  async start() {
    const cfg = await browserConfig(this.base);
    this.events = new RoomEvents({
      base: this.base, room: this.room, token: () => this.token,
      countOnline: () => !(this.session && this.session.state === 'connected'),
    });
    this._wireEvents();
    this.session = new MediaSession({
      kind: 'whep', url: `${this.base || location.origin}/whep/${encodeURIComponent(this.room)}`,
      token: () => this.token, iceServers: cfg.ice_servers || [], layer: this.layer,
    });
    this.session.addEventListener('datachannel', (ev) => this.events.useDataChannel(ev.detail));
    this.session.addEventListener('stream', (ev) => {
      if (this.el.video.srcObject !== ev.detail) this.el.video.srcObject = ev.detail;
      this._play();
    });
    this.session.addEventListener('state', (ev) => this._onSessionState(ev.detail));
    this.session.addEventListener('error', (ev) => this._onSessionError(ev.detail));
    this.loadCard();
    this.onEvent('ready', { room: this.room });
    this.session.start().catch((err) => this._onSessionError(err));
  }

  _play() {
    const v = this.el.video;
    const p = v.play();
    if (p && p.catch) p.catch(() => { /* autoplay refused even muted: the unmute button plays */ });
  }

  /**
   * Watches decoded frames: a connected session whose video stops (the
   * anchor left, the network dropped) shows "paused" until frames flow.
   */
  _watch() {
    clearInterval(this._watchTimer);
    let last = -1, still = 0;
    this._watchTimer = setInterval(async () => {
      if (!this.session || this.session.state !== 'connected') return;
      const st = await this.session.health();
      if (st.framesDecoded !== last && st.framesDecoded > 0) {
        last = st.framesDecoded;
        still = 0;
        if (this.state === 'paused' || this.state === 'connecting') {
          this._setState('live', '');
          this.onEvent('live', { room: this.room });
        }
      } else if (++still >= 6) {
        if (this.state === 'live') this._setState('paused', 'The anchor will be right back…');
        // Room events say when the live ends; ask the room too, in case
        // they were lost with the connection.
        if (still % 6 === 0) this._checkRoom();
      }
    }, 500);
  }

  async _checkRoom() {
    try {
      const r = await this.api.get(`/api/rooms/${encodeURIComponent(this.room)}`);
      if (r && r.state === 'ended') this.ended();
    } catch (_) { /* try again on the next tick */ }
  }

  _onSessionState(s) {
    switch (s) {
      case 'connected':
        // "live" once frames are decoded (the watchdog flips it).
        if (this.state !== 'live') this._setState('connecting', 'Starting the video…');
        this._watch();
        break;
      case 'waiting':
        this._setState('waiting', 'The live has not started yet — it will start here on its own.');
        break;
      case 'reconnecting':
        if (this.state !== 'ended') this._setState('reconnecting', 'Connection lost — reconnecting…');
        break;
      case 'connecting':
        if (this.state === 'connecting') this._setState('connecting', 'Connecting…');
        break;
      default:
    }
  }

  _onSessionError(err) {
    if (err instanceof ApiError) {
      if (err.code === 'room_ended' || err.status === 410) { this.ended(); return; }
      if (err.status === 401 || err.status === 403) { this._setState('denied', 'You are not allowed to watch this room.'); return; }
      if (err.status === 404) { this._setState('missing', 'There is no such live room.'); return; }
    }
  }

  /** Shows the "ended" state and stops reconnecting. */
  ended() {
    if (this.state === 'ended') return;
    this._setState('ended', 'The live has ended. Thanks for watching!');
    if (this.session) this.session.close();
    this.onEvent('ended', { room: this.room });
  }

  _wireEvents() {
    const ev = this.events;
    ev.addEventListener('welcome', (e) => this._onWelcome(e.detail));
    ev.addEventListener('danmaku', (e) => this._onDanmaku(e.detail));
    ev.addEventListener('like', (e) => this._onLike(e.detail));
    ev.addEventListener('likes', (e) => this._onLike(e.detail));
    ev.addEventListener('card', (e) => this.showCard(cardOf(e.detail)));
    ev.addEventListener('ticker', (e) => this._onTicker(e.detail));
    ev.addEventListener('order', (e) => this._onTicker(e.detail));
    ev.addEventListener('state', (e) => this._onRoomState(e.detail));
    ev.addEventListener('delete', (e) => this.list.remove(e.detail.message_id || e.detail.id));
    ev.addEventListener('batch', (e) => this._onCounters(e.detail));
    ev.addEventListener('error', (e) => this._onError(e.detail));
    ev.addEventListener('ack', (e) => { if (e.detail.ref) this._pending.delete(e.detail.ref); });
    ev.addEventListener('pinned', (e) => this._onPinned(e.detail));
  }

  _onWelcome(m) {
    if (Array.isArray(m.recent)) for (const d of m.recent) if (d && typeof d === 'object') this.list.add(d);
    if (m.card) this.showCard(cardOf(m.card));
    this.you = m.you || null;
    this._onPinned(m.pinned);
    this._onCounters(m);
    this._onRoomState(m);
  }

  /** online and likes_total of a welcome or batch. */
  _onCounters(m) {
    if (m.online !== undefined) this.el.viewers.textContent = `${Number(m.online) || 0} watching`;
    const total = Number(m.likes_total);
    if (Number.isFinite(total) && total > this.likes) {
      const delta = total - this.likes;
      const first = this._likesSeen === undefined;
      this._likesSeen = true;
      this.likes = total;
      this.el.likeCount.textContent = String(total);
      if (!first) for (let i = 0; i < Math.min(delta, 5); i++) this.heart();
    }
  }

  _onDanmaku(m) {
    const text = typeof m.text === 'string' ? m.text : '';
    if (!text) return;
    if (!this.list.add(m)) return; // seen already (welcome replay, transport switch)
    this.flyer.fly(text, { self: !!(this.you && m.user === this.you.user_id) });
  }

  _onLike(m) {
    const total = Number(m.total ?? m.likes ?? NaN);
    if (Number.isFinite(total)) this.likes = Math.max(this.likes, total);
    else this.likes += Number(m.count || 1);
    this.el.likeCount.textContent = String(this.likes);
    const n = Math.min(Number(m.count || m.delta || 1), 5);
    for (let i = 0; i < n; i++) this.heart();
  }

  _onRoomState(m) {
    if (!m || typeof m !== 'object') return;
    const viewers = m.viewers ?? m.online;
    if (viewers !== undefined) this.el.viewers.textContent = `${Number(viewers) || 0} watching`;
    const likes = m.likes ?? m.like_total;
    if (likes !== undefined && Number(likes) > this.likes) { this.likes = Number(likes); this.el.likeCount.textContent = String(this.likes); }
    const st = m.room_state || (typeof m.state === 'string' ? m.state : '') || (m.live === false ? 'paused' : '');
    if (st === 'ended') this.ended();
    else if (st === 'paused') this._setState('paused', 'The anchor will be right back…');
    else if (st === 'idle' && this.state !== 'live') this._setState('waiting', 'The live has not started yet — it will start here on its own.');
    else if (st === 'live' && this.state === 'paused' && this.session && this.session.state === 'connected') this._setState('live', '');
  }

  _onPinned(p) {
    const text = p && typeof p.text === 'string' ? p.text : '';
    this.el.pinned.textContent = text;
    this.el.pinned.hidden = !text;
  }

  _onError(m) {
    // A refused comment goes back into the field, so it can be edited.
    if (m && m.ref && this._pending.has(m.ref)) {
      if (!this.el.input.value) this.el.input.value = this._pending.get(m.ref);
      this._pending.delete(m.ref);
    }
    const msg = (m && (m.message || m.code)) || 'Something went wrong';
    this.el.chatError.textContent = msg;
    clearTimeout(this._errTimer);
    this._errTimer = setTimeout(() => { this.el.chatError.textContent = ''; }, 6000);
  }

  _onTicker(m) {
    const who = m.city ? `Someone in ${m.city}` : 'Someone';
    const what = m.product_title || m.title || 'an item';
    const el = this.el.ticker;
    el.textContent = `${who} just bought ${what}`;
    el.hidden = false;
    el.classList.remove('ls-ticker-in');
    void el.offsetWidth;
    el.classList.add('ls-ticker-in');
    clearTimeout(this._tickerTimer);
    this._tickerTimer = setTimeout(() => { el.hidden = true; }, 6000);
    if (this.card && m.product_id === this.card.product_id && typeof m.stock_left === 'number') {
      this.card.stock_left = m.stock_left;
      this._renderStock();
    }
  }

  /** Loads the currently presented product, if any. */
  async loadCard() {
    try {
      const c = await this.api.get(`/api/rooms/${encodeURIComponent(this.room)}/presenting`);
      this.showCard(cardOf(c));
    } catch (_) { /* no card yet */ }
  }

  /** Shows (or hides, when !card.shown) the product card. */
  showCard(card) {
    if (!card) return;
    if (typeof card.version === 'number' && card.version < this.cardVersion) return;
    if (typeof card.version === 'number') this.cardVersion = card.version;
    const shown = card.shown !== false && !!card.product_id;
    this.card = shown ? { ...card } : null;
    const el = this.el;
    el.card.hidden = !shown;
    if (!shown) return;
    el.cardTitle.textContent = card.title || '';
    const live = card.live_price_minor || card.price_minor;
    el.cardPrice.textContent = money(live, card.currency);
    el.cardWas.textContent = card.live_price_minor && card.price_minor && card.live_price_minor < card.price_minor ? money(card.price_minor, card.currency) : '';
    if (card.image && /^(https:|\/|data:image\/)/.test(card.image)) { el.cardImg.src = card.image; el.cardImg.hidden = false; } else { el.cardImg.removeAttribute('src'); el.cardImg.hidden = true; }
    el.cardImg.alt = card.title || '';
    this._renderStock();
    this.onEvent('product', { ...card });
  }

  _renderStock() {
    const left = Number(this.card.stock_left ?? 0);
    this.el.cardStock.textContent = left > 0 ? `${left} left` : 'Sold out';
    this.el.card.dataset.stock = String(left);
    this.el.buy.disabled = left <= 0;
  }

  unmute() {
    const v = this.el.video;
    v.muted = false;
    this._play();
    this.el.unmute.hidden = true;
  }

  like() {
    if (this.events && this.events.like(1)) this.heart();
  }

  heart() {
    const s = document.createElement('span');
    s.className = 'ls-heart';
    s.textContent = '❤';
    s.style.color = ['#ff3b6b', '#ff8a3d', '#ff5fa2', '#c86bff', '#ffd23d'][Math.floor(Math.random() * 5)];
    s.style.left = `${Math.round(Math.random() * 40)}px`;
    s.addEventListener('animationend', () => s.remove(), { once: true });
    if (this.el.hearts.childElementCount < 30) this.el.hearts.appendChild(s);
  }

  sendDanmaku() {
    const text = this.el.input.value.trim();
    if (!text) return;
    const ref = `d${++this._refs}`;
    if (!this.events || !this.events.danmaku(text, ref)) {
      this._onError({ message: 'Not connected yet — try again in a moment.' });
      return;
    }
    this._pending.set(ref, text);
    if (this._pending.size > 20) this._pending.delete(this._pending.keys().next().value);
    this.el.input.value = '';
  }

  /** Runs order → pay → confirmation for the presented product. */
  async buy() {
    const card = this.card;
    if (!card) return;
    if (this.events) this.events.click(card.product_id);
    if (!this.onBuy({ ...card })) return; // the host page took over
    if (!this.token) {
      this._openCheckout();
      this.el.checkoutMsg.textContent = 'Please sign in to buy.';
      return;
    }
    this.el.buy.disabled = true;
    this._openCheckout();
    this.el.checkoutMsg.textContent = 'Reserving your item…';
    try {
      const order = await this.api.post('/api/orders',
        { room: this.room, product_id: card.product_id, quantity: 1 },
        { idempotencyKey: newIdempotencyKey() });
      const orderId = order.id || order.order_id;
      this.lastOrder = order;
      this.el.checkoutMsg.textContent = 'Opening secure checkout…';
      const pay = await this.api.post(`/api/orders/${encodeURIComponent(orderId)}/pay`, { provider: 'sandbox' });
      const url = pay.redirect_url || pay.url || pay.checkout_url;
      if (url) this._showCheckoutPage(url);
      this.el.checkoutMsg.textContent = 'Complete the payment below.';
      const final = await this._waitOrder(orderId);
      if (final.status === 'paid') {
        this.el.checkoutFrame.hidden = true;
        this.el.checkoutFrame.removeAttribute('src');
        this.el.checkoutMsg.textContent = `✓ Paid! Order ${orderId} is confirmed.`;
        this.el.checkout.dataset.result = 'paid';
        this.onEvent('order-paid', { order: final });
      } else {
        this.el.checkoutMsg.textContent = `Payment ${final.status || 'did not complete'}.`;
        this.el.checkout.dataset.result = final.status || 'failed';
      }
    } catch (err) {
      const msg = err instanceof ApiError ? (err.code === 'sold_out' ? 'Sorry, it just sold out.' : err.message) : 'Could not reach the shop — try again.';
      this.el.checkoutMsg.textContent = msg;
      this.el.checkout.dataset.result = 'error';
    } finally {
      if (this.card) this._renderStock();
    }
  }

  _openCheckout() {
    const el = this.el;
    el.checkout.hidden = false;
    el.checkout.dataset.result = '';
    el.checkoutFrame.hidden = true;
    el.checkoutClose.focus();
  }

  _showCheckoutPage(url) {
    const u = new URL(url, this.base || location.origin);
    if (u.origin === (this.base ? new URL(this.base).origin : location.origin) || u.origin === location.origin) {
      this.el.checkoutFrame.hidden = false;
      this.el.checkoutFrame.src = u.href;
    } else {
      window.open(u.href, 'livesell-checkout', 'popup,width=480,height=720,noopener');
    }
  }

  async _waitOrder(id) {
    const deadline = Date.now() + ORDER_POLL_LIMIT_MS;
    while (!this._stopped && Date.now() < deadline && !this.el.checkout.hidden) {
      try {
        const o = await this.api.get(`/api/orders/${encodeURIComponent(id)}`);
        const st = String(o.status || '').toLowerCase();
        if (st && st !== 'pending' && st !== 'created' && st !== 'reserved' && st !== 'paying') return { ...o, status: st };
      } catch (_) { /* keep polling */ }
      await new Promise((r) => setTimeout(r, ORDER_POLL_MS));
    }
    return { status: 'cancelled' };
  }

  closeCheckout() {
    this.el.checkout.hidden = true;
    this.el.checkoutFrame.removeAttribute('src');
    this.el.checkoutFrame.hidden = true;
  }

  /** Media stats of the playback (framesDecoded, fps, bitrate, loss). */
  stats() { return this.session ? this.session.health() : Promise.resolve(null); }

  /** Pins a simulcast layer (q, h, f) or '' for automatic, now and on reconnect. */
  async setLayer(layer) {
    this.layer = layer || '';
    if (!this.session) return;
    this.session.layer = this.layer;
    if (!this.session.resource) return;
    await fetch(`${this.session.resource}/layer`, {
      method: 'PATCH', credentials: 'omit',
      headers: { 'Content-Type': 'application/json', ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) },
      body: JSON.stringify({ layer: this.layer || 'auto' }),
    }).catch(() => {});
  }

  stop() {
    this._stopped = true;
    clearInterval(this._watchTimer);
    if (this.session) this.session.close();
    if (this.events) this.events.close();
  }
}
