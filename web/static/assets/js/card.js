// The viewer room's goods: the presented product's card (price, stock,
// per-buyer limit, flash-sale clock, "all held" vs "sold out") and the
// goods list of the closing screen. The methods are mixed into Viewer.

import { h } from './api.js';
import { t, money, num, currentLang } from './i18n.js';

/** Normalizes a card event or API answer into a ProductCard-like object. */
export function cardOf(msg) {
  if (!msg || typeof msg !== 'object') return null;
  const c = msg.card || msg.product_card || msg.data || msg;
  if (!c || typeof c !== 'object') return null;
  return c;
}

/** Formats a duration in ms as m:ss or h:mm:ss. */
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const p = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${p(mm)}:${p(ss)}` : `${mm}:${p(ss)}`;
}

/** Builds the card's elements into el (el.card and its parts). */
export function cardElements(el, viewer) {
  el.cardImg = h('img', { class: 'ls-card-img', alt: '' });
  el.cardTitle = h('div', { class: 'ls-card-title' });
  el.cardPrice = h('div', { class: 'ls-card-price' });
  el.cardWas = h('s', { class: 'ls-card-was' });
  el.cardStock = h('div', { class: 'ls-card-stock' });
  el.cardNote = h('div', { class: 'ls-card-note' });
  el.cardSale = h('div', { class: 'ls-card-sale', role: 'timer', 'aria-live': 'off', hidden: true });
  el.buy = h('button', { class: 'ls-buy', type: 'button', onclick: () => viewer.buy() }, t('card.buy'));
  el.card = h('div', { class: 'ls-card', hidden: true, role: 'region', 'aria-label': t('card.region') },
    el.cardImg,
    h('div', { class: 'ls-card-body' }, el.cardTitle, h('div', { class: 'ls-card-prices' }, el.cardPrice, el.cardWas), el.cardStock, el.cardNote, el.cardSale, el.cardCoupon),
    el.buy);
}

/** The Viewer's product-card methods (mixed into Viewer.prototype). */
export const cardMethods = {
  /** Loads the currently presented product, if any. */
  async loadCard() {
    try {
      const c = await this.api.get(`/api/rooms/${encodeURIComponent(this.room)}/presenting`);
      this.showCard(cardOf(c));
    } catch (_) { /* no card yet */ }
  },

  /** Shows (or hides, when !card.shown) the product card. */
  async showCard(card) {
    if (!card) return;
    if (typeof card.version === 'number' && card.version < this.cardVersion) return;
    if (typeof card.version === 'number') this.cardVersion = card.version;
    const shown = card.shown !== false && !!card.product_id;
    const was = this.card;
    const el = this.el;
    if (!shown) {
      this.card = null;
      el.card.hidden = true;
      clearInterval(this._saleTimer);
      if (was) this.emit('card-hidden', { product_id: was.product_id });
      return;
    }
    let c = { ...card };
    // The host page may provide its own words and pictures (never the price: the card shows what is charged).
    const hook = this.hooks().product;
    if (typeof hook === 'function') {
      try {
        const extra = await hook({ ...c });
        if (extra && typeof extra === 'object') {
          for (const k of ['title', 'image', 'url', 'subtitle']) if (typeof extra[k] === 'string') c[k] = extra[k];
        }
      } catch (_) { /* the host's data is optional */ }
      if (typeof card.version === 'number' && card.version < this.cardVersion) return;
    }
    this.card = c;
    el.card.hidden = false;
    el.card.dataset.product = c.product_id;
    el.cardTitle.textContent = c.title || '';
    const live = c.live_price_minor || c.price_minor;
    el.cardPrice.textContent = money(live, c.currency);
    el.card.dataset.priceMinor = String(live || 0);
    el.cardWas.textContent = c.live_price_minor && c.price_minor && c.live_price_minor < c.price_minor ? money(c.price_minor, c.currency) : '';
    if (c.image && /^(https:|\/|data:image\/)/.test(c.image)) { el.cardImg.src = new URL(c.image, (this.base || location.origin) + '/').href; el.cardImg.hidden = false; } else { el.cardImg.removeAttribute('src'); el.cardImg.hidden = true; }
    el.cardImg.alt = c.title || '';
    const limit = Number(c.per_user_limit || c.limit_per_user || 0);
    el.cardNote.textContent = limit > 0 ? t('card.limit', { n: limit }) : '';
    el.cardNote.hidden = !(limit > 0);
    el.buy.textContent = typeof this.hooks().addToCart === 'function' ? t('card.add') : t('card.buy');
    this._renderStock();
    this._startSaleClock();
    if (this._renderCardCoupon) this._renderCardCoupon();
    const event = was && was.product_id === c.product_id ? null : 'card-shown';
    if (event) this.emit(event, { ...c });
    this.emit('product', { ...c });
  },

  /** Flash sale: a countdown until the window opens (Buy disabled), then until it ends. */
  _startSaleClock() {
    clearInterval(this._saleTimer);
    const tick = () => {
      const c = this.card;
      if (!c) return;
      const now = Date.now();
      const opens = c.sale_starts_at ? Date.parse(c.sale_starts_at) : NaN;
      const ends = c.sale_ends_at ? Date.parse(c.sale_ends_at) : NaN;
      let text = '', phase = '';
      if (Number.isFinite(opens) && now < opens) { text = t('card.opens', { time: clock(opens - now) }); phase = 'before'; }
      else if (Number.isFinite(ends) && now < ends) { text = t('card.ends', { time: clock(ends - now) }); phase = 'open'; }
      else if (Number.isFinite(ends) && now >= ends) { text = t('err.sale_ended'); phase = 'after'; }
      this.el.cardSale.textContent = text;
      this.el.cardSale.hidden = !text;
      this.el.card.dataset.sale = phase;
      this._renderStock();
      if (!phase || phase === 'after') clearInterval(this._saleTimer);
    };
    tick();
    if (this.el.card.dataset.sale) this._saleTimer = setInterval(tick, 250);
  },

  _renderStock() {
    if (!this.card) return;
    const left = Number(this.card.stock_left ?? 0);
    const held = Number(this.card.stock_held ?? 0);
    const prev = this.el.card.dataset.stock;
    this.el.cardStock.textContent = left > 0 ? t('card.left', { n: num(left) }) : held > 0 ? t('card.held') : t('card.soldout');
    this.el.card.dataset.stock = String(left);
    const sale = this.el.card.dataset.sale;
    this.el.buy.disabled = left <= 0 || sale === 'before' || sale === 'after' || this._buying === true;
    if (prev !== undefined && prev !== String(left)) this.emit('stock-changed', { product_id: this.card.product_id, stock_left: left });
    if (left <= 0 && (prev !== '0' || this.card.stock_held === undefined)) this._whyNoneLeft(this.card);
  },

  /** Nothing left: ask whether unpaid checkouts hold units ("try again soon") or it is sold out. */
  async _whyNoneLeft(card) {
    try {
      const s = await this.api.get(`/api/products/${encodeURIComponent(card.product_id)}/stock`);
      if (this.card !== card || Number(card.stock_left ?? 0) > 0) return;
      card.stock_held = Number(s.unpaid_orders || 0);
      this.el.cardStock.textContent = card.stock_held > 0 ? t('card.held') : t('card.soldout');
      this.el.card.dataset.held = String(card.stock_held);
    } catch (_) { /* keep "sold out" */ }
  },

  /**
   * The closing screen's goods (with a Buy at list price when the operator
   * set sell_after_end and the product can be ordered as one line) and the
   * next scheduled show (next_room) with a link.
   */
  async _loadClosingGoods() {
    const ul = this.el.closing.querySelector('.ls-closing-goods');
    let info = this.info;
    try { info = await this.api.get(`/api/rooms/${encodeURIComponent(this.room)}`); } catch (_) { /* keep what start() read */ }
    this._loadNextShow(info);
    try {
      const res = await this.api.get(`/api/rooms/${encodeURIComponent(this.room)}/products`);
      const list = (res && (res.products || res)) || [];
      const sell = !!(info && info.sell_after_end);
      ul.replaceChildren(...list.slice(0, 20).map((p) => {
        const li = h('li', { class: 'ls-closing-good' },
          h('span', { class: 'ls-closing-good-title' }, p.title || p.id), ' ', h('span', { class: 'ls-closing-good-price' }, money(p.price_minor, p.currency)));
        // One line without a variant at list price: what an order of an ended room can be.
        const buyable = sell && p.open !== false && Number(p.stock_left ?? 1) > 0 && !(Array.isArray(p.variants) && p.variants.length);
        if (buyable) {
          li.append(' ', h('button', { class: 'ls-closing-buy', type: 'button', onclick: () => this.checkoutLine({
            product_id: p.id, title: p.title, quantity: 1, unit_price_minor: p.price_minor, currency: p.currency }).catch(() => {}) }, t('card.buy')));
        }
        return li;
      }));
    } catch (_) { /* no goods list */ }
  },

  async _loadNextShow(info) {
    const next = info && info.next_room;
    if (!next) return;
    try {
      const r = await this.api.get(`/api/rooms/${encodeURIComponent(next)}`);
      if (!r || r.state === 'ended') return;
      const when = r.starts_at ? new Date(r.starts_at).toLocaleString(currentLang(), { dateStyle: 'medium', timeStyle: 'short' }) : '';
      const link = h('a', { class: 'ls-closing-next-link', href: `${this.base || ''}/live/${encodeURIComponent(r.id || next)}`, target: '_top' }, r.title || next);
      const el = h('p', { class: 'ls-closing-next' }, t('room.ended.next'), ' ', link);
      if (when) el.append(' ', h('time', { class: 'ls-closing-next-time', datetime: r.starts_at }, when));
      this.el.closing.append(el);
    } catch (_) { /* no next show */ }
  },
};
