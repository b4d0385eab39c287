// Room-event client: the versioned JSON protocol of the interaction layer,
// over the "livesell" data channel of the media session when there is one,
// else over the WebSocket /ws/rooms/{room} (credentials in its first
// message, hello), reconnecting with backoff.
// Each incoming event is dispatched as a CustomEvent named after its type
// (danmaku, like, card, ticker, state, welcome, error, …); batches are
// unrolled. 'transport' events report dc | ws | connecting | offline.

export const PROTOCOL_VERSION = 1;
const MAX_BACKOFF_MS = 10000;
const MAX_MESSAGE_BYTES = 256 * 1024;

export class RoomEvents extends EventTarget {
  /**
   * @param {object} o
   * @param {string} o.base origin of the server ('' = this page's)
   * @param {string} o.room
   * @param {() => string} o.token bearer token ('' = anonymous)
   * @param {boolean} [o.anchor] the token is the room's push key (studio)
   * @param {() => boolean} [o.countOnline] whether a WebSocket should count as a viewer
   */
  constructor(o) {
    super();
    this.base = (o.base || '').replace(/\/$/, '');
    this.room = o.room;
    this.token = typeof o.token === 'function' ? o.token : () => o.token || '';
    this.anchor = !!o.anchor;
    this.countOnline = o.countOnline || (() => true);
    this.dc = null;
    this.ws = null;
    this.transport = 'offline';
    this.closed = false;
    this._backoff = 500;
    this._wsTimer = 0;
    this._dcFallback = 0;
  }

  _setTransport(t) {
    if (this.transport === t) return;
    this.transport = t;
    this.dispatchEvent(new CustomEvent('transport', { detail: t }));
  }

  /** Uses dc (labelled "livesell") while it is open; the WebSocket covers the gaps. */
  useDataChannel(dc) {
    if (this.closed) return;
    this.dc = dc;
    clearTimeout(this._dcFallback);
    const onOpen = () => {
      if (this.dc !== dc) return;
      this._setTransport('dc');
      this._closeWebSocket();
    };
    dc.addEventListener('open', onOpen);
    dc.addEventListener('message', (ev) => { if (this.dc === dc) this._onData(ev.data); });
    dc.addEventListener('close', () => {
      if (this.dc !== dc || this.closed) return;
      this.dc = null;
      this.startWebSocket();
    });
    if (dc.readyState === 'open') onOpen();
    // If the channel does not open soon (no media session, refused), use the WebSocket.
    this._dcFallback = setTimeout(() => {
      if (this.dc === dc && dc.readyState !== 'open') this.startWebSocket();
    }, 4000);
  }

  /** Connects the WebSocket fallback (idempotent). */
  startWebSocket() {
    if (this.closed || this.ws || (this.dc && this.dc.readyState === 'open')) return;
    const origin = this.base || location.origin;
    const u = new URL(`/ws/rooms/${encodeURIComponent(this.room)}`, origin);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    // Browsers cannot set headers on a WebSocket, and a query string ends up
    // in proxy logs: the credential goes in the first message (hello).
    // A page that also plays the room over WHEP is counted by that session.
    if (this.anchor || !this.countOnline()) u.searchParams.set('count', 'false');
    this._setTransport('connecting');
    let ws;
    try { ws = new WebSocket(u.href); } catch (_) { this._scheduleWebSocket(); return; }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      const tok = this.token();
      const hello = { v: PROTOCOL_VERSION, type: 'hello' };
      if (tok && this.anchor) hello.push_key = tok;
      else if (tok) hello.token = tok;
      ws.send(JSON.stringify(hello));
      this._backoff = 500;
      if (!(this.dc && this.dc.readyState === 'open')) this._setTransport('ws');
    });
    // Once the data channel is open it is the one source (no duplicates
    // while the WebSocket closes).
    ws.addEventListener('message', (ev) => {
      if (this.ws === ws && !(this.dc && this.dc.readyState === 'open')) this._onData(ev.data);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.closed && !(this.dc && this.dc.readyState === 'open')) {
        this._setTransport('offline');
        this._scheduleWebSocket();
      }
    });
  }

  _scheduleWebSocket() {
    clearTimeout(this._wsTimer);
    const wait = this._backoff + Math.random() * 300;
    this._backoff = Math.min(this._backoff * 2, MAX_BACKOFF_MS);
    this._wsTimer = setTimeout(() => this.startWebSocket(), wait);
  }

  _closeWebSocket() {
    clearTimeout(this._wsTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) try { ws.close(1000); } catch (_) { /* already closed */ }
  }

  _onData(data) {
    if (typeof data !== 'string') {
      if (data instanceof ArrayBuffer) data = new TextDecoder().decode(data);
      else return;
    }
    if (data.length > MAX_MESSAGE_BYTES) return;
    let msg;
    try { msg = JSON.parse(data); } catch (_) { return; }
    this._dispatch(msg);
  }

  _dispatch(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (Array.isArray(msg)) { for (const m of msg) this._dispatch(m); return; }
    const type = typeof msg.type === 'string' ? msg.type : '';
    if (type === 'batch') {
      // {online, likes_total, danmaku:[…], dropped}: the counters first, then each comment.
      this.dispatchEvent(new CustomEvent('batch', { detail: msg }));
      if (Array.isArray(msg.danmaku)) {
        for (const d of msg.danmaku) if (d && typeof d === 'object') this.dispatchEvent(new CustomEvent('danmaku', { detail: d }));
      }
      if (Array.isArray(msg.events)) for (const m of msg.events) this._dispatch(m);
      return;
    }
    if (!type) return;
    this.dispatchEvent(new CustomEvent(type, { detail: msg }));
    this.dispatchEvent(new CustomEvent('any', { detail: msg }));
  }

  /** Sends one event; returns false when no transport is open. */
  send(msg) {
    const text = JSON.stringify({ v: PROTOCOL_VERSION, ...msg });
    if (this.dc && this.dc.readyState === 'open') { this.dc.send(text); return true; }
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(text); return true; }
    return false;
  }

  /** Sends a danmaku (chat line); ref comes back in its ack or error. */
  danmaku(text, ref) { return this.send(ref ? { type: 'danmaku', text, ref } : { type: 'danmaku', text }); }

  /** Pins an announcement (anchor); '' unpins. */
  pin(text, ref) { return this.send(ref ? { type: 'pin', text, ref } : { type: 'pin', text }); }

  /** Sends n likes (the server may coalesce). */
  like(n = 1) { return this.send({ type: 'like', count: n }); }

  /** Reports a click on the presented product (for conversion stats). */
  click(productId) { return this.send({ type: 'click', product_id: productId }); }

  close() {
    this.closed = true;
    clearTimeout(this._dcFallback);
    this._closeWebSocket();
    this.dc = null;
    this._setTransport('offline');
  }
}
