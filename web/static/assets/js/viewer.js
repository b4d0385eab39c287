// The viewer room, shared by /live/{room} and the <livesell-room> element:
// WHEP playback (autoplay muted, tap to unmute), danmaku over the video and
// beside it, likes with floating hearts, the presented product with a Buy
// button (built-in checkout, or the host page's cart and checkout through
// its hooks), the purchase ticker, and the room's states: waiting, live,
// paused ("right back"), ended (a closing screen; nothing reconnects).

import { Api, ApiError, browserConfig, h, clear } from './api.js';
import { MediaSession } from './whip.js';
import { RoomEvents } from './events.js';
import { DanmakuLayer, DanmakuList } from './danmaku.js';
import { cardOf, cardElements, cardMethods } from './card.js';
import { pendingElements, purchaseMethods } from './purchase.js';
import { Goods } from './goods.js';
import { couponElements, couponMethods } from './coupons.js';
import { t, num } from './i18n.js';
import { attachGames } from './games.js';

export { cardOf, clock } from './card.js';

export class Viewer {
  /**
   * @param {HTMLElement} root where to render
   * @param {object} o
   * @param {string} o.base server origin ('' = this page's)
   * @param {string} o.room
   * @param {string} [o.token] user JWT ('' = anonymous)
   * @param {boolean} [o.hideChat]
   * @param {string} [o.layer] q|h|f or '' (automatic)
   * @param {(name: string, detail: object) => void} [o.onEvent] host-page events (docs/embed.md)
   * @param {(product: object) => boolean} [o.onBuy] false = the host handles checkout
   * @param {() => object} [o.hooks] the host page's hooks: product, addToCart, checkout, login
   * @param {string} [o.signInURL] where a guest signs in ({return} = this page)
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
    this.hooks = o.hooks || (() => ({}));
    this.signInURL = o.signInURL || '';
    this.api = new Api(this.base, () => this.token);
    this.card = null;
    this.cardVersion = -1;
    this.likes = 0;
    this.comments = 0;
    this.cart = [];
    this.state = 'connecting';
    this.session = null;
    this.events = null;
    this.lastOrder = null;
    this._stopped = false;
    this._pending = new Map(); // ref → text of comments awaiting their ack
    this._refs = 0;
    this._render();
  }

  emit(name, detail) { this.onEvent(name, detail || {}); }

  _render() {
    const el = {};
    el.video = h('video', { class: 'ls-video', playsinline: true, autoplay: true, muted: true, 'aria-label': t('room.video') });
    el.video.muted = true;
    el.layer = h('div', { class: 'ls-danmaku-layer' });
    el.status = h('div', { class: 'ls-status', role: 'status', 'aria-live': 'polite' }, t('room.connecting'));
    el.unmute = h('button', { class: 'ls-unmute', type: 'button', onclick: () => this.unmute() }, t('room.unmute'));
    el.ticker = h('div', { class: 'ls-ticker', 'aria-live': 'polite', hidden: true });
    el.pinned = h('div', { class: 'ls-pinned', role: 'note', 'aria-label': t('room.pinned'), hidden: true });
    el.hearts = h('div', { class: 'ls-hearts', 'aria-hidden': 'true' });
    couponElements(el, this);
    cardElements(el, this);
    pendingElements(el, this);
    el.closing = h('div', { class: 'ls-closing', hidden: true, role: 'region', 'aria-label': t('room.ended.title') },
      h('h2', { class: 'ls-closing-title' }, t('room.ended.title')), h('p', { class: 'ls-closing-body' }, t('room.ended.body')),
      h('ul', { class: 'ls-closing-goods' }));
    el.viewers = h('span', { class: 'ls-viewers', title: t('room.viewers') }, t('room.watching', { n: 0 }));
    el.badge = h('span', { class: 'ls-live-badge' }, t('room.live'));
    el.likeCount = h('span', { class: 'ls-like-count' }, '0');
    el.like = h('button', { class: 'ls-like', type: 'button', 'aria-label': t('room.like'), onclick: () => this.like() }, '❤', el.likeCount);
    el.stage = h('div', { class: 'ls-stage' }, el.video, el.layer, el.hearts, el.status, el.unmute, el.ticker, el.pinned, el.pending, el.coupon, el.card, el.closing,
      h('div', { class: 'ls-stage-bar' }, el.badge, el.viewers));
    el.list = h('ul', { class: 'ls-dm-list', 'aria-label': t('room.comments'), 'aria-live': 'polite' });
    el.input = h('input', { class: 'ls-dm-input', type: 'text', maxlength: '200', 'aria-label': t('room.say.label'), placeholder: t('room.say'), autocomplete: 'off' });
    el.send = h('button', { class: 'ls-dm-send', type: 'submit' }, t('room.send'));
    el.chatError = h('p', { class: 'ls-dm-error', role: 'alert' });
    el.form = h('form', { class: 'ls-dm-form', onsubmit: (e) => { e.preventDefault(); this.sendDanmaku(); } }, el.input, el.send);
    el.side = h('aside', { class: 'ls-side', 'aria-label': t('room.chat') }, el.list, el.chatError, h('div', { class: 'ls-actions' }, el.form, el.like));
    this.checkout = this._newCheckout();
    el.checkout = this.checkout.el;
    el.checkoutFrame = this.checkout.frame;
    el.checkoutMsg = this.checkout.msg;
    el.wrap = h('div', { class: 'ls-room' + (this.hideChat ? ' ls-nochat' : '') }, el.stage, this.hideChat ? null : el.side, el.checkout);
    el.wrap.dataset.state = 'connecting';
    clear(this.root);
    this.root.appendChild(el.wrap);
    this.el = el;
    this.flyer = new DanmakuLayer(el.layer);
    this.list = new DanmakuList(el.list);
    this.goods = new Goods(this); // the room's goods drawer and cart (goods.js)
  }

  _setState(state, text) {
    const changed = this.state !== state;
    this.state = state;
    this.el.wrap.dataset.state = state;
    this.el.status.textContent = text || '';
    this.el.status.hidden = !text;
    this.el.badge.textContent = state === 'ended' ? t('room.ended.badge') : state === 'paused' ? t('room.paused.badge') : state === 'waiting' ? t('room.waiting.badge') : t('room.live');
    if (changed) this.emit('state', { state });
  }

  /** Starts playback and room events; an ended room shows its closing screen only. */
  async start() {
    let info = null;
    try { info = await this.api.get(`/api/rooms/${encodeURIComponent(this.room)}`); } catch (err) {
      if (err instanceof ApiError && err.status === 404) { this._setState('missing', t('room.missing')); return; }
    }
    if (this._stopped) return;
    this.info = info;
    if (info && info.state === 'ended') { this.ended(); this.emit('ready', { room: this.room }); return; }
    const cfg = await browserConfig(this.base);
    if (this._stopped) return;
    this.events = new RoomEvents({
      base: this.base, room: this.room, token: () => this.token,
      countOnline: () => !(this.session && this.session.state === 'connected'),
    });
    this._wireEvents();
    this.session = new MediaSession({
      kind: 'whep', url: this._whepURL(),
      token: () => this.token, iceServers: cfg.ice_servers || [], layer: this.layer,
    });
    this.session.addEventListener('datachannel', (ev) => this.events.useDataChannel(ev.detail));
    this.session.addEventListener('stream', (ev) => {
      if (this.el.video.srcObject !== ev.detail) this.el.video.srcObject = ev.detail;
      this._play();
    });
    this.session.addEventListener('state', (ev) => this._onSessionState(ev.detail));
    // Frames on screen: the status goes at once (the watchdog's first tick may be later).
    this.el.video.addEventListener('playing', () => {
      if (this.state === 'connecting' && this.session && this.session.state === 'connected') { this._setState('live', ''); this.emit('live', { room: this.room }); }
    });
    this.session.addEventListener('error', (ev) => this._onSessionError(ev.detail));
    this.loadCard();
    this.loadPending();
    this.loadClaims();
    this.emit('ready', { room: this.room });
    this.session.start().catch((err) => this._onSessionError(err));
  }

  /** The WHEP URL, naming where the viewer came from for the after-show
   * report: a share link's ?ref=, else the embed's host page, else the referrer. */
  _whepURL() {
    const u = new URL(`${this.base || location.origin}/whep/${encodeURIComponent(this.room)}`);
    const ref = new URLSearchParams(location.search).get('ref') ||
      (this.base && this.base !== location.origin ? location.origin + location.pathname : document.referrer);
    if (ref) u.searchParams.set('ref', ref.slice(0, 256));
    return u.href;
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
          this.emit('live', { room: this.room });
        }
      } else if (++still >= 6) {
        if (this.state === 'live') this._setState('paused', t('room.paused'));
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
    if (this.state === 'ended') return;
    switch (s) {
      case 'connected':
        // "live" once frames are decoded (the watchdog flips it).
        if (this.state !== 'live') this._setState('connecting', t('room.starting'));
        this._watch();
        break;
      case 'waiting':
        this._setState('waiting', t('room.waiting'));
        // Comments and the product card before the live starts.
        if (this.events) this.events.startWebSocket();
        break;
      case 'reconnecting':
        this._setState('reconnecting', t('room.reconnecting'));
        // A room that ended while we were away: stop trying.
        this._checkRoom();
        break;
      case 'connecting':
        if (this.state === 'connecting') this._setState('connecting', t('room.connecting'));
        break;
      default:
    }
  }

  _onSessionError(err) {
    if (err instanceof ApiError) {
      if (err.code === 'ticket_required') { this._ticketRequired(); return; }
      if (err.code === 'room_ended' || err.status === 410) { this.ended(); return; }
      if (err.status === 401 || err.status === 403) { this._setState('denied', t('room.denied')); return; }
      if (err.status === 404) { this._setState('missing', t('room.missing')); return; }
    }
  }

  /** Shows the closing screen and stops every connection. */
  ended() {
    if (this.state === 'ended') return;
    this._setState('ended', '');
    if (this.session) this.session.close();
    if (this.events) this.events.close();
    clearInterval(this._watchTimer);
    this.el.video.srcObject = null;
    this.el.closing.hidden = false;
    this.el.unmute.hidden = true;
    this._loadClosingGoods();
    this.emit('ended', { room: this.room });
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
    ev.addEventListener('notice', (e) => this._onNotice(e.detail));
    attachGames(this, ev); // draws, red packets, gifts (games.js)
  }

  _onWelcome(m) {
    if (Array.isArray(m.recent)) for (const d of m.recent) if (d && typeof d === 'object') this._countComment(d);
    if (m.card) this.showCard(cardOf(m.card));
    this.you = m.you || null;
    this._onPinned(m.pinned);
    this._onCounters(m);
    this._onRoomState(m);
  }

  _setLikes(total) {
    if (total === this.likes) return;
    this.likes = total;
    this.el.likeCount.textContent = num(total);
    this.emit('likes', { total });
  }

  /** online and likes_total of a welcome or batch. */
  _onCounters(m) {
    if (m.online !== undefined) this.el.viewers.textContent = t('room.watching', { n: num(m.online) });
    const total = Number(m.likes_total);
    if (Number.isFinite(total) && total > this.likes) {
      const delta = total - this.likes;
      const first = this._likesSeen === undefined;
      this._likesSeen = true;
      this._setLikes(total);
      if (!first) for (let i = 0; i < Math.min(delta, 5); i++) this.heart();
    }
  }

  _countComment(m) {
    if (!this.list.add(m)) return false; // seen already (welcome replay, transport switch)
    this.comments++;
    this.emit('comments', { count: this.comments, last: { text: m.text, name: m.name || '' } });
    return true;
  }

  _onDanmaku(m) {
    const text = typeof m.text === 'string' ? m.text : '';
    if (!text) return;
    if (!this._countComment(m)) return;
    this.flyer.fly(text, { self: !!(this.you && m.user === this.you.user_id), vip: m.vip === true });
  }

  _onLike(m) {
    const total = Number(m.total ?? m.likes ?? NaN);
    this._setLikes(Number.isFinite(total) ? Math.max(this.likes, total) : this.likes + Number(m.count || 1));
    const n = Math.min(Number(m.count || m.delta || 1), 5);
    for (let i = 0; i < n; i++) this.heart();
  }

  _onRoomState(m) {
    if (!m || typeof m !== 'object') return;
    const viewers = m.viewers ?? m.online;
    if (viewers !== undefined) this.el.viewers.textContent = t('room.watching', { n: num(viewers) });
    const likes = m.likes ?? m.like_total;
    if (likes !== undefined && Number(likes) > this.likes) this._setLikes(Number(likes));
    const st = m.room_state || (typeof m.state === 'string' ? m.state : '') || (m.live === false ? 'paused' : '');
    if (st === 'ended') this.ended();
    else if (this.state === 'ended') return;
    else if (st === 'paused') this._setState('paused', t('room.paused'));
    else if (st === 'idle' && this.state !== 'live') this._setState('waiting', t('room.waiting'));
    else if (st === 'live' && this.state === 'paused' && this.session && this.session.state === 'connected') this._setState('live', '');
  }

  _onPinned(p) {
    const text = p && typeof p.text === 'string' ? p.text : '';
    this.el.pinned.textContent = text;
    this.el.pinned.hidden = !text;
  }

  /** The room is for ticket holders and this viewer has none (any more). */
  _ticketRequired() {
    if (this._stopped) return;
    this.stop();
    this._setState('ticket', '');
    this.emit('ticket-required', { room: this.room });
  }

  _onError(m) {
    if (m && m.code === 'ticket_required' && !m.ref) { this._ticketRequired(); return; }
    // A refused comment goes back into the field, so it can be edited.
    if (m && m.ref && this._pending.has(m.ref)) {
      if (!this.el.input.value) this.el.input.value = this._pending.get(m.ref);
      this._pending.delete(m.ref);
    }
    const msg = (m && (m.message || m.code)) || t('err.generic');
    this.el.chatError.textContent = msg;
    clearTimeout(this._errTimer);
    this._errTimer = setTimeout(() => { this.el.chatError.textContent = ''; }, 6000);
  }

  _onTicker(m) {
    const who = m.city ? t('room.someone.city', { city: m.city }) : t('room.someone');
    const what = m.product_title || m.title || t('room.item');
    const el = this.el.ticker;
    el.textContent = t('room.ticker', { who, what });
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
    // A unit that was held is now sold: "sold out" may replace "all held".
    // (a ticker names no product id: any sale re-checks a card with none left)
    if (this.card && Number(this.card.stock_left ?? 0) <= 0) this._whyNoneLeft(this.card);
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
      this._onError({ message: t('room.notconnected') });
      return;
    }
    this._pending.set(ref, text);
    if (this._pending.size > 20) this._pending.delete(this._pending.keys().next().value);
    this.el.input.value = '';
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
    clearInterval(this._saleTimer);
    if (this.checkout.open) this.checkout.close();
    if (this.session) this.session.close();
    if (this.events) this.events.close();
  }
}

// The product card (card.js), buying (purchase.js) and coupons (coupons.js)
// are Viewer methods too, non-enumerable like the class's own.
for (const methods of [cardMethods, purchaseMethods, couponMethods]) {
  for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(methods))) {
    Object.defineProperty(Viewer.prototype, name, { ...d, enumerable: false });
  }
}
