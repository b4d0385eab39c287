/*
 * livesell embeddable player: <livesell-room room="…" token="…"></livesell-room>
 *
 *   <script src="ORIGIN/embed.js" async></script>   (ORIGIN = your livesell server, e.g. https://live.shop.example)
 *
 * Attributes: room (required), token (user JWT; none = anonymous viewer),
 * hide-chat (no comment column), layer (q|h|f to pin a simulcast layer),
 * lang (en | zh-CN; default: the browser's), sign-in-url (where guests sign in).
 * DOM events (bubbling, composed): ready, live, ended, state, product,
 * card-shown, card-hidden, stock-changed, login-required, cart-changed,
 * order-created, order-paid, order-failed, order-cancelled, likes, comments,
 * coupon-pushed, coupon-claimed,
 * buy (cancelable: call event.preventDefault() to run checkout yourself).
 * Hooks (the player asks, the host answers): el.hooks = {product, addToCart,
 * checkout, login}. JS API: el.checkout({product_id, quantity}), el.stats(),
 * el.like(), el.buy(), el.unmute(), el.say(text), el.token = "…", el.viewer.
 * See docs/embed.md.
 */
(function () {
  'use strict';
  if (!window.customElements || customElements.get('livesell-room')) return;
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var EVENTS = ['ready', 'live', 'ended', 'state', 'product', 'card-shown', 'card-hidden', 'stock-changed',
    'login-required', 'cart-changed', 'order-created', 'order-paid', 'order-failed', 'order-cancelled', 'likes', 'comments',
    'coupon-pushed', 'coupon-claimed'];

  class LivesellRoom extends HTMLElement {
    static get observedAttributes() { return ['room', 'token', 'hide-chat', 'layer', 'lang', 'sign-in-url']; }

    constructor() {
      super();
      this.attachShadow({ mode: 'open' });
      this._viewer = null;
      this._gen = 0;
      this._hooks = {};
      // A host page may set hooks or token before this script upgraded the
      // element: take those own properties over.
      for (var p of ['hooks', 'token']) {
        if (Object.prototype.hasOwnProperty.call(this, p)) { var v = this[p]; delete this[p]; this[p] = v; }
      }
    }

    connectedCallback() { this._restart(); }

    disconnectedCallback() { this._stop(); }

    attributeChangedCallback(name, oldValue, value) {
      if (!this.isConnected || oldValue === value) return;
      if (name === 'layer' && this._viewer) { this._viewer.setLayer(value || ''); return; }
      this._restart();
    }

    _stop() {
      this._gen++;
      if (this._viewer) this._viewer.stop();
      this._viewer = null;
    }

    async _restart() {
      this._stop();
      var gen = this._gen;
      var room = (this.getAttribute('room') || '').trim();
      var shadow = this.shadowRoot;
      while (shadow.firstChild) shadow.removeChild(shadow.firstChild);
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = base + '/assets/css/room.css';
      // Styles come from a stylesheet, never inline, so that host pages
      // with a strict style-src need not allow 'unsafe-inline'.
      var root = document.createElement('div');
      root.className = 'ls-embed';
      shadow.append(link, root);
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(room)) {
        root.textContent = 'livesell-room: set a valid room attribute.';
        return;
      }
      var i18n = await import(base + '/assets/js/i18n.js');
      if (this.getAttribute('lang')) i18n.useLang(this.getAttribute('lang'));
      var mod = await import(base + '/assets/js/viewer.js');
      if (gen !== this._gen) return;
      var self = this;
      this._viewer = new mod.Viewer(root, {
        base: base,
        room: room,
        token: this.getAttribute('token') || '',
        hideChat: this.hasAttribute('hide-chat'),
        layer: this.getAttribute('layer') || '',
        signInURL: this.getAttribute('sign-in-url') || '',
        hooks: function () { return self._hooks || {}; },
        onEvent: function (name, detail) {
          if (EVENTS.indexOf(name) >= 0) self.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true }));
        },
        onBuy: function (product) {
          return self.dispatchEvent(new CustomEvent('buy', { detail: product, bubbles: true, composed: true, cancelable: true }));
        },
      });
      this._viewer.start();
    }

    /**
     * The host page's hooks (docs/embed.md): product(card) → extra data,
     * addToCart(item) → true when added to the host's cart, checkout({items})
     * → true when the host runs checkout, login(product) → a user token.
     */
    get hooks() { return this._hooks; }
    set hooks(v) {
      this._hooks = v && typeof v === 'object' ? v : {};
      if (this._viewer && this._viewer.card) this._viewer.showCard(Object.assign({}, this._viewer.card, { version: undefined }));
    }

    /**
     * Runs livesell's own checkout for {product_id, quantity} (a line of the
     * host's cart, handed back); resolves to {status, order}.
     */
    checkout(line) { return this._viewer ? this._viewer.checkoutLine(line) : Promise.reject(new Error('livesell-room: not started')); }

    /** The Viewer behind the element (advanced use). */
    get viewer() { return this._viewer; }

    /** The user token; setting it reconnects as that user. */
    get token() { return this.getAttribute('token') || ''; }
    set token(v) { this.setAttribute('token', v || ''); }

    /** Playback stats: {framesDecoded, fps, bitrate, loss, width, height}. */
    stats() { return this._viewer ? this._viewer.stats() : Promise.resolve(null); }

    /** Sends a like. */
    like() { if (this._viewer) this._viewer.like(); }

    /** Sends a comment; returns false when not connected. */
    say(text) { if (!this._viewer || !this._viewer.events) return false; return this._viewer.events.danmaku(String(text)); }

    /** Starts the built-in checkout for the presented product (fires 'buy' first). */
    buy() { if (this._viewer) return this._viewer.buy(); }

    /** Unmutes the video (needs a user gesture in most browsers). */
    unmute() { if (this._viewer) this._viewer.unmute(); }

    /** The product card currently shown, or null. */
    get product() { return this._viewer && this._viewer.card ? Object.assign({}, this._viewer.card) : null; }
  }

  customElements.define('livesell-room', LivesellRoom);
})();
