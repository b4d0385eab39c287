// The viewer room's goods drawer and cart: a "Goods" button opens a drawer
// listing every product bound to the room (GET /api/rooms/{room}/products)
// with its price, stock and variant (size, colour…); "Add to cart" with a
// quantity; the cart checks out as ONE order (POST /api/orders {lines, room})
// through the viewer's checkout dialog.

import { h, clear } from './api.js';
import { t, money, buyerMessage } from './i18n.js';

const MAX_LINES = 20;

function optionText(v) {
  const opts = v.options && Object.values(v.options).filter(Boolean);
  return v.title || (opts && opts.length ? opts.join(' / ') : v.sku);
}

/** The goods drawer and cart of one Viewer. */
export class Goods {
  /** @param {object} viewer the Viewer (api, room, checkout, emit, _needLogin) */
  constructor(viewer) {
    this.v = viewer;
    this.products = [];
    this.lines = []; // {product_id, sku, title, variant_title, quantity, unit_price_minor, currency}
    this.count = h('span', { class: 'ls-cart-count' }, '0');
    this.button = h('button', { class: 'ls-goods-btn', type: 'button', 'aria-haspopup': 'dialog', onclick: () => this.toggle() },
      t('goods.open', 'Goods'), ' ', this.count);
    this.list = h('ul', { class: 'ls-goods-list', 'aria-label': t('goods.title', 'Goods of this room') });
    this.cartList = h('ul', { class: 'ls-cart-list', 'aria-label': t('cart.title', 'Your cart') });
    this.total = h('p', { class: 'ls-cart-total' });
    this.msg = h('p', { class: 'ls-goods-msg', role: 'status', 'aria-live': 'polite' });
    this.checkoutButton = h('button', { class: 'ls-cart-checkout', type: 'button', onclick: () => this.checkout() }, t('cart.checkout', 'Check out'));
    this.cart = h('section', { class: 'ls-cart', 'aria-label': t('cart.title', 'Your cart') },
      h('h3', { class: 'ls-cart-title' }, t('cart.title', 'Your cart')), this.cartList, this.total, this.checkoutButton);
    const close = h('button', { class: 'ls-goods-close', type: 'button', 'aria-label': t('goods.close', 'Close'), onclick: () => this.close() }, '×');
    this.el = h('div', { class: 'ls-goods', role: 'dialog', 'aria-label': t('goods.title', 'Goods of this room'), hidden: true,
      onkeydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); this.close(); } } },
    h('div', { class: 'ls-goods-head' }, h('h2', { class: 'ls-goods-title' }, t('goods.title', 'Goods of this room')), close),
    this.msg, this.list, this.cart);
    viewer.el.stage.append(this.button, this.el);
    this._renderCart();
  }

  get open() { return !this.el.hidden; }

  toggle() { if (this.open) this.close(); else this.show(); }

  close() { this.el.hidden = true; this.button.focus(); }

  /** Opens the drawer and (re)loads the room's goods. */
  async show() {
    this.el.hidden = false;
    await this.load();
  }

  async load() {
    try {
      const res = await this.v.api.get(`/api/rooms/${encodeURIComponent(this.v.room)}/products`);
      this.products = (res && res.products) || [];
      this._renderList();
    } catch (err) {
      this._say(buyerMessage(err), 'error');
    }
  }

  _say(text, kind) { this.msg.textContent = text; this.msg.dataset.kind = kind || ''; }

  _renderList() {
    clear(this.list);
    if (!this.products.length) { this.list.append(h('li', { class: 'ls-goods-empty' }, t('goods.empty', 'No goods in this room yet.'))); return; }
    for (const p of this.products) this.list.append(this._item(p));
  }

  _item(p) {
    const variants = Array.isArray(p.variants) ? p.variants : [];
    const price = h('span', { class: 'ls-goods-price' });
    const stock = h('span', { class: 'ls-goods-stock' });
    const qty = h('input', { class: 'ls-goods-qty', type: 'number', min: '1', max: '99', value: '1', 'aria-label': t('goods.quantity', 'Quantity') });
    const add = h('button', { class: 'ls-goods-add', type: 'button' }, t('goods.add', 'Add to cart'));
    // Variants are buttons (size / colour chips): one press chooses.
    let chosenSku = '';
    const opts = variants.map((v) => h('button', { class: 'ls-goods-opt', type: 'button', dataset: { sku: v.sku }, 'aria-pressed': 'false' }, optionText(v)));
    const group = variants.length ? h('div', { class: 'ls-goods-opts', role: 'group', 'aria-label': t('goods.variant', 'Choose a size or colour') }, ...opts) : null;
    if (variants.length) chosenSku = (variants.find((v) => v.stock_left > 0) || variants[0]).sku;
    const chosen = () => variants.find((v) => v.sku === chosenSku) || null;
    const paint = () => {
      const v = chosen();
      const left = v ? v.stock_left : p.stock_left;
      const minor = (v && v.price_minor) || p.price_now_minor || p.price_minor;
      price.textContent = money(minor, p.currency);
      stock.textContent = left > 0 ? t('card.left', { n: left }) : t('card.soldout');
      add.disabled = !(left > 0) || p.open === false;
      for (const b of opts) b.setAttribute('aria-pressed', String(b.dataset.sku === chosenSku));
    };
    opts.forEach((b) => { b.onclick = () => { chosenSku = b.dataset.sku; paint(); }; });
    paint();
    add.onclick = () => {
      const v = chosen();
      const n = Math.max(1, Math.min(99, Math.floor(Number(qty.value) || 1)));
      this.add({
        product_id: p.id, sku: v ? v.sku : '', title: p.title, variant_title: v ? optionText(v) : '',
        quantity: n, unit_price_minor: (v && v.price_minor) || p.price_now_minor || p.price_minor, currency: p.currency,
      });
    };
    const img = (p.images && p.images[0]) || '';
    return h('li', { class: 'ls-goods-item', dataset: { product: p.id } },
      img ? h('img', { class: 'ls-goods-img', src: img, alt: '' }) : h('span', { class: 'ls-goods-img' }),
      h('div', { class: 'ls-goods-body' },
        h('div', { class: 'ls-goods-name' }, p.title || p.id),
        h('div', { class: 'ls-goods-meta' }, price, ' · ', stock),
        group, h('div', { class: 'ls-goods-row' }, qty, add)));
  }

  /** Adds a line to the cart (merging the same product and variant). */
  add(line) {
    const same = this.lines.find((l) => l.product_id === line.product_id && l.sku === line.sku);
    if (same) same.quantity += line.quantity;
    else if (this.lines.length >= MAX_LINES) { this._say(t('cart.full', 'Your cart is full.'), 'error'); return; } else this.lines.push(line);
    this._say(t('card.added'), 'ok');
    this._changed();
  }

  remove(i) { this.lines.splice(i, 1); this._changed(); }

  _changed() {
    this._renderCart();
    this.v.emit('cart-changed', { items: this.lines.map((l) => ({ ...l })), count: this._units() });
  }

  _units() { return this.lines.reduce((n, l) => n + l.quantity, 0); }

  _renderCart() {
    this.count.textContent = String(this._units());
    clear(this.cartList);
    if (!this.lines.length) this.cartList.append(h('li', { class: 'ls-cart-empty' }, t('cart.empty', 'Your cart is empty.')));
    this.lines.forEach((l, i) => {
      this.cartList.append(h('li', { class: 'ls-cart-line' },
        h('span', { class: 'ls-cart-name' }, l.variant_title ? `${l.title} (${l.variant_title})` : l.title),
        h('span', { class: 'ls-cart-qty' }, `× ${l.quantity}`),
        h('span', { class: 'ls-cart-amount' }, money(l.unit_price_minor * l.quantity, l.currency)),
        h('button', { class: 'ls-cart-remove', type: 'button', 'aria-label': t('cart.remove', 'Remove'), onclick: () => this.remove(i) }, '×')));
    });
    const cur = this.lines.length ? this.lines[0].currency : '';
    const sum = this.lines.reduce((n, l) => n + l.unit_price_minor * l.quantity, 0);
    this.total.textContent = this.lines.length ? t('cart.total', { total: money(sum, cur) }, 'Total: {total}') : '';
    this.checkoutButton.disabled = !this.lines.length;
  }

  /** Checks the cart out as one order through the viewer's checkout dialog. */
  async checkout() {
    if (!this.lines.length) return;
    if (!(await this.v._needLogin(null))) return;
    const lines = this.lines.map((l) => {
      const o = { product_id: l.product_id, quantity: l.quantity };
      if (l.sku) o.sku = l.sku;
      return o;
    });
    this._say('');
    const res = await this.v.checkout.run({ lines, title: t('cart.title', 'Your cart') });
    if (res.status === 'paid') {
      this.lines = [];
      this._changed();
      this._say(t('cart.paid', 'Paid — thank you!'), 'ok');
    } else if (res.status === 'error') {
      this._say(buyerMessage(res.error), 'error');
    }
    if (this.open) this.load();
  }
}
