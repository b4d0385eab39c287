// The built-in checkout of the viewer room: an in-room dialog that reserves
// the item (POST /api/orders), opens the payment provider's page, waits for
// the order to be paid, and gives the unit back at once when the buyer
// closes the dialog or the payment fails (POST /api/orders/{id}/cancel).
// Keyboard: focus stays inside the dialog (Tab wraps), Escape closes it.

import { ApiError, newIdempotencyKey, h } from './api.js';
import { t, buyerMessage } from './i18n.js';

const ORDER_POLL_MS = 700;
const ORDER_POLL_LIMIT_MS = 15 * 60 * 1000;
const OPEN = new Set(['pending', 'created', 'reserved', 'paying']);

export class Checkout {
  /**
   * @param {object} o
   * @param {import('./api.js').Api} o.api
   * @param {string} o.base server origin ('' = this page's)
   * @param {string} o.room
   * @param {(name: string, detail: object) => void} o.emit host-page events
   * @param {() => Promise<string[]>} o.providers payment providers the server offers
   */
  constructor(o) {
    this.api = o.api;
    this.base = o.base;
    this.room = o.room;
    this.emit = o.emit;
    this.providers = o.providers;
    this.order = null; // the open (unpaid) order of this dialog
    this._run = 0;
    this._returnFocus = null;
    const close = h('button', { class: 'ls-checkout-close', type: 'button', 'aria-label': t('checkout.close'), onclick: () => this.close() }, '×');
    this.msg = h('p', { class: 'ls-checkout-msg', role: 'status', 'aria-live': 'polite' });
    this.choices = h('div', { class: 'ls-checkout-providers', role: 'group', 'aria-label': t('checkout.choose'), hidden: true });
    this.frame = h('iframe', { class: 'ls-checkout-frame', title: t('checkout.title'), hidden: true });
    // Escape inside the payment page closes too, when the page is of this
    // origin (a provider's page of another origin keeps its own keys).
    this.frame.addEventListener('load', () => {
      try {
        this.frame.contentWindow.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); this.close(); } });
      } catch (_) { /* another origin */ }
    });
    this.retry = h('button', { class: 'ls-checkout-retry', type: 'button', hidden: true }, t('checkout.retry'));
    // Focus guards: Tab out of the payment page (a frame, whose keys this
    // document never sees) lands on a guard, which sends focus round.
    const guard = (toFirst) => h('span', { class: 'ls-focus-guard', tabindex: '0', 'aria-hidden': 'true',
      onfocus: () => { const f = this._focusable(); const el = toFirst ? f[0] : f[f.length - 1]; if (el) el.focus(); } });
    this.box = h('div', { class: 'ls-checkout-box' }, guard(false), close, this.msg, this.choices, this.frame, this.retry, guard(true));
    this.el = h('div', {
      class: 'ls-checkout', hidden: true, role: 'dialog', 'aria-modal': 'true', 'aria-label': t('checkout.title'),
      onkeydown: (e) => this._onKey(e),
      onclick: (e) => { if (e.target === this.el) this.close(); },
    }, this.box);
    this.closeButton = close;
  }

  get open() { return !this.el.hidden; }

  _show() {
    if (this.el.hidden) {
      const root = this.el.getRootNode();
      this._returnFocus = (root && root.activeElement) || null;
    }
    this.el.hidden = false;
    this.el.dataset.result = '';
    this.frame.hidden = true;
    this.frame.removeAttribute('src');
    this.choices.hidden = true;
    this.retry.hidden = true;
    this.closeButton.focus();
  }

  _say(text, result) {
    this.msg.textContent = text;
    if (result !== undefined) this.el.dataset.result = result;
  }

  /** The focusable elements of the dialog, in order. */
  _focusable() {
    return [...this.box.querySelectorAll('button, iframe, a[href], input, select')].filter((e) => !e.hidden && !e.disabled && e.getClientRects().length > 0 && !e.classList.contains('ls-focus-guard'));
  }

  _onKey(e) {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.close(); return; }
    if (e.key !== 'Tab') return;
    const f = this._focusable();
    if (!f.length) return;
    const root = this.el.getRootNode();
    const active = root.activeElement;
    const i = f.indexOf(active);
    if (e.shiftKey && (i <= 0)) { e.preventDefault(); f[f.length - 1].focus(); } else if (!e.shiftKey && (i === -1 || i === f.length - 1)) { e.preventDefault(); f[0].focus(); }
  }

  /**
   * Runs order → pay → confirmation for line {product_id, quantity, title}.
   * Resolves to {status, order}; status is paid, cancelled, failed or error.
   */
  async run(line, { resume } = {}) {
    const run = ++this._run;
    this._line = line;
    this._show();
    let order = resume || null;
    try {
      if (!order) {
        this._say(t('checkout.reserving'));
        // A cart ({lines}) is one order of several lines, reserved all or none.
        const body = Array.isArray(line.lines) ? { room: this.room, lines: line.lines }
          : { room: this.room, product_id: line.product_id, quantity: line.quantity || 1 };
        if (Array.isArray(line.coupons) && line.coupons.length && !Array.isArray(line.lines)) body.coupons = line.coupons;
        order = await this.api.post('/api/orders', body, { idempotencyKey: newIdempotencyKey() });
        this.emit('order-created', { order });
      }
      this.order = order;
      if (run !== this._run) return { status: 'cancelled', order };
      const provider = await this._chooseProvider(run);
      if (!provider) return { status: 'cancelled', order };
      this._say(t('checkout.opening'));
      const pay = await this.api.post(`/api/orders/${encodeURIComponent(order.id)}/pay`, { provider });
      const url = pay && (pay.redirect_url || pay.url || pay.checkout_url);
      if (url) this._showPage(url);
      this._say(t('checkout.complete'));
      const final = await this._wait(order.id, run);
      if (run !== this._run) return { status: 'cancelled', order };
      return this._finish(final);
    } catch (err) {
      if (run !== this._run) return { status: 'cancelled', order };
      // A reservation made before the error is given back.
      if (order && this.order === order) await this._cancel(order);
      this._say(buyerMessage(err), 'error');
      this.el.dataset.code = err instanceof ApiError ? err.code : 'network';
      this.retry.hidden = !(err instanceof ApiError && (err.code === 'stock_held' || err.status >= 500 || err.status === 429));
      this.retry.onclick = () => this.run(line);
      return { status: 'error', error: err };
    }
  }

  async _chooseProvider(run) {
    let list = [];
    try { list = await this.providers(); } catch (_) { list = []; }
    if (!list.length) throw new ApiError(503, 'no_provider', '');
    if (list.length === 1) return list[0];
    this._say(t('checkout.choose'));
    this.choices.replaceChildren(...list.map((p) => h('button', { class: 'ls-provider', type: 'button', dataset: { provider: p } }, t(`provider.${p}`, p))));
    this.choices.hidden = false;
    this.choices.firstChild.focus();
    const chosen = await new Promise((resolve) => {
      this._abortChoice = () => resolve('');
      for (const b of this.choices.children) b.onclick = () => resolve(b.dataset.provider);
    });
    this.choices.hidden = true;
    return run === this._run ? chosen : '';
  }

  _showPage(url) {
    const u = new URL(url, this.base || location.origin);
    const own = this.base ? new URL(this.base).origin : location.origin;
    if (u.origin === own) {
      this.frame.hidden = false;
      this.frame.src = u.href;
    } else {
      // Real providers' pages refuse to be framed: a popup keeps the room open.
      window.open(u.href, 'livesell-checkout', 'popup,width=480,height=720');
    }
  }

  async _wait(id, run) {
    const deadline = Date.now() + ORDER_POLL_LIMIT_MS;
    while (run === this._run && Date.now() < deadline) {
      try {
        const o = await this.api.get(`/api/orders/${encodeURIComponent(id)}`);
        const st = String(o.status || '').toLowerCase();
        if (st && !OPEN.has(st)) return { ...o, status: st };
        if (o.payment_status === 'failed' || o.last_payment === 'failed') return { ...o, status: 'failed' };
      } catch (_) { /* keep polling */ }
      await new Promise((r) => setTimeout(r, ORDER_POLL_MS));
    }
    return { status: 'cancelled' };
  }

  async _finish(final) {
    this.frame.hidden = true;
    this.frame.removeAttribute('src');
    if (final.status === 'paid') {
      this.order = null;
      this._say(t('checkout.paid', { id: final.id }), 'paid');
      this.emit('order-paid', { order: final });
      return { status: 'paid', order: final };
    }
    const order = this.order;
    this.order = null;
    if (order) await this._cancel(order);
    this._say(t('checkout.failed'), 'failed');
    this.retry.hidden = false;
    this.retry.onclick = () => this.run(this._line && Array.isArray(this._line.lines) ? this._line : { product_id: final.product_id || (order && order.product_id), quantity: final.quantity || 1 });
    this.emit('order-failed', { order: final });
    return { status: 'failed', order: final };
  }

  async _cancel(order) {
    try {
      await this.api.post(`/api/orders/${encodeURIComponent(order.id)}/cancel`, {});
      this.emit('order-cancelled', { order });
    } catch (_) { /* already final: paid, expired or cancelled */ }
  }

  /** Closes the dialog; an unpaid reservation is given back at once. */
  async close() {
    this._run++;
    this.emit('checkout-closed', {});
    if (this._abortChoice) { this._abortChoice(); this._abortChoice = null; }
    this.el.hidden = true;
    this.frame.removeAttribute('src');
    this.frame.hidden = true;
    const back = this._returnFocus;
    this._returnFocus = null;
    if (back && back.isConnected && back.focus) back.focus();
    const order = this.order;
    this.order = null;
    if (order) {
      // It may have been paid a moment ago: keep a paid order.
      try {
        const o = await this.api.get(`/api/orders/${encodeURIComponent(order.id)}`);
        if (String(o.status || '').toLowerCase() === 'paid') { this.emit('order-paid', { order: { ...o, status: 'paid' } }); return; }
      } catch (_) { /* cancel anyway */ }
      await this._cancel(order);
    }
  }
}
