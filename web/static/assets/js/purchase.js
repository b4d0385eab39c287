// The viewer room's buying: the card's Buy (the host page's cart and
// checkout hooks, or the built-in checkout dialog of checkout.js), asking
// for a sign-in, and the buyer's unpaid order offered again (pay / cancel).
// The methods are mixed into Viewer.

import { ApiError, h } from './api.js';
import { Checkout } from './checkout.js';
import { t, buyerMessage } from './i18n.js';

let providersPromise = null;

/** Builds the unpaid-order banner into el (el.pending and its parts). */
export function pendingElements(el, viewer) {
  el.pendingText = h('span', { class: 'ls-pending-text' });
  el.pendingPay = h('button', { class: 'ls-pending-pay', type: 'button', onclick: () => viewer.resumePending() }, t('room.pending.resume'));
  el.pendingCancel = h('button', { class: 'ls-pending-cancel', type: 'button', onclick: () => viewer.cancelPending() }, t('room.pending.cancel'));
  el.pending = h('div', { class: 'ls-pending', role: 'status', hidden: true }, el.pendingText, el.pendingPay, el.pendingCancel);
}

/** The Viewer's buying methods (mixed into Viewer.prototype). */
export const purchaseMethods = {
  /** The built-in checkout dialog of this viewer. */
  _newCheckout() {
    return new Checkout({
      api: this.api, base: this.base, room: this.room,
      emit: (name, detail) => this._onCheckoutEvent(name, detail),
      providers: () => this.providers(),
    });
  },

  /** The payment providers the server offers (asked once per page). */
  providers() {
    if (!providersPromise) {
      providersPromise = this.api.get('/api/payments/providers')
        .then((r) => {
          const list = Array.isArray(r) ? r : (r && (r.providers || r.names)) || [];
          return list.map((p) => (typeof p === 'string' ? p : p && (p.name || p.id))).filter(Boolean);
        })
        .catch((err) => { providersPromise = null; if (err instanceof ApiError && err.status === 404) return ['sandbox']; throw err; });
    }
    return providersPromise;
  },

  /**
   * Asks for a signed-in buyer: the host page's login hook may answer with
   * a token; else the room says how to sign in. Resolves to true when a
   * token is there.
   */
  async _needLogin(card) {
    if (this.token) return true;
    this.emit('login-required', { product: card ? { ...card } : null, room: this.room });
    const hook = this.hooks().login;
    if (typeof hook === 'function') {
      try {
        const tok = await hook(card ? { ...card } : null);
        if (typeof tok === 'string' && tok) { this.token = tok; return true; }
      } catch (_) { /* fall through to the message */ }
    }
    this.checkout._show();
    this.checkout._say(t('checkout.signin'), 'login');
    if (this.signInURL) {
      const u = this.signInURL.replace('{return}', encodeURIComponent(location.href));
      const a = h('a', { class: 'ls-signin', href: u, target: '_top' }, t('checkout.signin.link'));
      this.checkout.msg.append(' ', a);
    }
    return false;
  },

  /** The card's button: the host's cart when it has one, else checkout. */
  async buy() {
    const card = this.card;
    if (!card) return;
    if (this.events) this.events.click(card.product_id);
    if (!this.onBuy({ ...card })) return; // the host page took over (cancelled 'buy')
    const hooks = this.hooks();
    const line = { product_id: card.product_id, title: card.title, quantity: 1, unit_price_minor: card.live_price_minor || card.price_minor, currency: card.currency, image: card.image || '' };
    if (this._couponsFor) { const cs = this._couponsFor(card.product_id); if (cs.length) line.coupons = cs; }
    if (typeof hooks.addToCart === 'function') {
      try {
        const ok = await hooks.addToCart({ ...line });
        if (ok !== false) {
          this.cart.push(line);
          this.emit('cart-changed', { items: this.cart.map((l) => ({ ...l })), count: this.cart.reduce((n, l) => n + l.quantity, 0) });
          this._flash(t('card.added'));
        }
      } catch (err) { this._flash(buyerMessage(err)); }
      return;
    }
    if (typeof hooks.checkout === 'function') {
      // The player asks; the host answers: true = the host's checkout runs.
      try { if (await hooks.checkout({ items: [line] }) !== false) return; } catch (_) { /* built-in checkout */ }
    }
    await this.checkoutLine(line);
  },

  /** Runs the built-in checkout for {product_id, quantity}; resolves to {status, order}. */
  async checkoutLine(line) {
    if (!line || !line.product_id) throw new TypeError('checkout needs a product_id');
    if (!(await this._needLogin(this.card))) return { status: 'login-required' };
    this._buying = true;
    this._renderStock();
    try {
      const res = await this.checkout.run(line);
      if (res.status === 'paid') {
        this.lastOrder = res.order;
        if (line.coupons && this.loadClaims) this.loadClaims();
        this.cart = this.cart.filter((l) => l.product_id !== line.product_id);
        this.el.pending.hidden = true;
      }
      return res;
    } finally {
      this._buying = false;
      this._renderStock();
    }
  },

  _onCheckoutEvent(name, detail) {
    if (name === 'checkout-closed') { this._buying = false; this._renderStock(); return; }
    if (name === 'order-cancelled' || name === 'order-failed') this.loadCard();
    this.emit(name, detail);
  },

  /** A short line over the card (added to cart, …). */
  _flash(text) {
    const el = this.el.ticker;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(this._tickerTimer);
    this._tickerTimer = setTimeout(() => { el.hidden = true; }, 4000);
  },

  /** Finds the buyer's own unpaid order of this room, to offer paying or cancelling it. */
  async loadPending() {
    if (!this.token) return;
    try {
      const res = await this.api.get(`/api/me/orders?room=${encodeURIComponent(this.room)}&status=PENDING`);
      const list = (res && res.orders) || [];
      const o = list.find((x) => String(x.status).toUpperCase() === 'PENDING');
      this.pendingOrder = o || null;
      this.el.pending.hidden = !o;
      if (o) this.el.pendingText.textContent = t('room.pending', { title: o.product_title || o.product_id });
    } catch (_) { this.el.pending.hidden = true; }
  },

  async resumePending() {
    const o = this.pendingOrder;
    if (!o) return;
    this.el.pending.hidden = true;
    this.pendingOrder = null;
    const res = await this.checkout.run({ product_id: o.product_id, quantity: o.quantity }, { resume: o });
    if (res.status !== 'paid') this.loadPending();
  },

  async cancelPending() {
    const o = this.pendingOrder;
    if (!o) return;
    this.pendingOrder = null;
    this.el.pending.hidden = true;
    try { await this.api.post(`/api/orders/${encodeURIComponent(o.id)}/cancel`, {}); this.emit('order-cancelled', { order: o }); } catch (_) { /* already final */ }
    this.loadCard();
  },

  closeCheckout() { return this.checkout.close(); },
};
