// The viewer room's coupons: a coupon the anchor pushes live arrives as a
// reliable room notice (kind coupon.pushed) and is shown over the video
// with its countdown and a Claim button; a claimed coupon that applies to
// the presented product shows the price after it on the card, and the
// checkout names it in the order (the server computes and charges the
// discount). The methods are mixed into Viewer.

import { ApiError, h } from './api.js';
import { t, money, num, buyerMessage } from './i18n.js';
import { clock } from './card.js';

/** The words of a coupon's offer ("¥20 off over ¥199"). */
export function couponOffer(c) {
  const cur = c.currency;
  switch (c.kind) {
    case 'threshold': return t('coupon.off.threshold', { amount: money(c.amount_minor, cur), min: money(c.min_spend_minor, cur) });
    case 'amount_off': return t('coupon.off.amount', { amount: money(c.amount_minor, cur) });
    case 'percent_off': return c.cap_minor ? t('coupon.off.percent_cap', { percent: c.percent, cap: money(c.cap_minor, cur) }) : t('coupon.off.percent', { percent: c.percent });
    default: return t('coupon.off.shipping');
  }
}

/**
 * What coupon c takes off one line of product at amount (minor units), by
 * the server's rules for a single coupon (commerce/marketing/coupon.Combine);
 * 0 when it does not apply.
 */
export function couponDiscount(c, product, amount, currency) {
  if (!c || c.currency !== currency) return 0;
  if (Array.isArray(c.products) && c.products.length && !c.products.includes(product)) return 0;
  if (amount < (c.min_spend_minor || 0)) return 0;
  const now = Date.now();
  if ((c.starts_at && now < Date.parse(c.starts_at)) || (c.ends_at && now >= Date.parse(c.ends_at))) return 0;
  let d = 0;
  if (c.kind === 'amount_off' || c.kind === 'threshold') d = c.amount_minor || 0;
  else if (c.kind === 'percent_off') { d = Math.floor(amount * (c.percent || 0) / 100); if (c.cap_minor && d > c.cap_minor) d = c.cap_minor; }
  return Math.max(0, Math.min(d, amount));
}

/** Builds the coupon box (over the video) and the card's coupon line into el. */
export function couponElements(el, viewer) {
  el.couponTitle = h('div', { class: 'ls-coupon-title' });
  el.couponOffer = h('div', { class: 'ls-coupon-offer' });
  el.couponClock = h('div', { class: 'ls-coupon-clock', role: 'timer', 'aria-live': 'off' });
  el.couponMsg = h('div', { class: 'ls-coupon-msg', role: 'status', 'aria-live': 'polite' });
  el.couponClaim = h('button', { class: 'ls-coupon-claim', type: 'button', onclick: () => viewer.claimCoupon() }, t('coupon.claim'));
  el.coupon = h('div', { class: 'ls-coupon', hidden: true, role: 'region', 'aria-label': t('coupon.region') },
    h('div', { class: 'ls-coupon-body' }, el.couponTitle, el.couponOffer, el.couponClock, el.couponMsg), el.couponClaim);
  el.cardCoupon = h('div', { class: 'ls-card-coupon', hidden: true });
}

/** The Viewer's coupon methods (mixed into Viewer.prototype). */
export const couponMethods = {
  /** A room notice: a pushed coupon is shown with its countdown. */
  _onNotice(m) {
    if (!m || m.kind !== 'coupon.pushed' || !m.data || typeof m.data !== 'object') return;
    const c = m.data;
    if (!c.coupon_id || (this.pushedCoupon && this.pushedCoupon.coupon_id === c.coupon_id && this.pushedCoupon.notice === m.id)) return;
    this.pushedCoupon = { ...c, notice: m.id, until: m.until || c.until };
    const el = this.el;
    el.coupon.hidden = false;
    el.coupon.dataset.coupon = c.coupon_id;
    el.couponTitle.textContent = c.title || '';
    el.couponOffer.textContent = couponOffer(c);
    el.couponOffer.hidden = el.couponOffer.textContent === el.couponTitle.textContent;
    const mine = this.claims && this.claims.find((x) => x.coupon_id === c.coupon_id);
    el.couponMsg.textContent = mine ? t('coupon.claimed') : (c.left >= 0 ? t('coupon.left', { n: num(c.left) }) : '');
    el.couponClaim.hidden = !!mine;
    el.couponClaim.disabled = false;
    el.coupon.dataset.claimed = mine ? 'true' : 'false';
    this._startCouponClock();
    this.emit('coupon-pushed', { ...c });
  },

  _startCouponClock() {
    clearInterval(this._couponTimer);
    const tick = () => {
      const c = this.pushedCoupon;
      if (!c) return;
      const left = Date.parse(c.until) - Date.now();
      if (!(left > 0)) {
        this.el.couponClock.textContent = t('coupon.ended');
        this.el.couponClaim.hidden = true;
        clearInterval(this._couponTimer);
        if (this.el.coupon.dataset.claimed !== 'true') setTimeout(() => { if (this.pushedCoupon === c) this.el.coupon.hidden = true; }, 3000);
        return;
      }
      this.el.couponClock.textContent = t('coupon.ends', { time: clock(left) });
    };
    tick();
    this._couponTimer = setInterval(tick, 250);
  },

  /** The Claim button: one tap, retried safely (the same claim). */
  async claimCoupon() {
    const c = this.pushedCoupon;
    if (!c) return;
    const el = this.el;
    if (!this.token) {
      el.couponMsg.textContent = t('coupon.signin');
      this.emit('login-required', { coupon: { ...c }, room: this.room });
      return;
    }
    el.couponClaim.disabled = true;
    el.couponMsg.textContent = t('coupon.claiming');
    try {
      const claim = await this.api.post(`/api/coupons/${encodeURIComponent(c.coupon_id)}/claim`, {});
      this.claims = (this.claims || []).filter((x) => x.id !== claim.id).concat([claim]);
      el.couponMsg.textContent = t('coupon.claimed');
      el.couponClaim.hidden = true;
      el.coupon.dataset.claimed = 'true';
      this.emit('coupon-claimed', { coupon_id: c.coupon_id, claim_id: claim.id, title: c.title });
      this._renderCardCoupon();
    } catch (err) {
      el.couponClaim.disabled = false;
      const gone = err instanceof ApiError && err.code === 'coupon_gone';
      el.couponMsg.textContent = gone ? t('coupon.gone') : buyerMessage(err);
      if (gone) el.couponClaim.hidden = true;
    }
  },

  /** Reads the buyer's claimed coupons (after sign-in, on start). */
  async loadClaims() {
    if (!this.token) return;
    try {
      const res = await this.api.get('/api/me/coupons?status=claimed');
      this.claims = ((res && res.claims) || []).map((x) => ({ ...x }));
      this._renderCardCoupon();
    } catch (_) { /* no coupons */ }
  },

  /** The best single claimed coupon for the card's product: {claim, off}. */
  _cardCoupon() {
    const card = this.card;
    if (!card || !Array.isArray(this.claims)) return null;
    const price = card.live_price_minor || card.price_minor || 0;
    let best = null;
    for (const cl of this.claims) {
      const off = couponDiscount(cl.coupon, card.product_id, price, card.currency);
      if (off > 0 && (!best || off > best.off)) best = { claim: cl, off };
    }
    return best;
  },

  /** The card shows the price after the buyer's best coupon. */
  _renderCardCoupon() {
    const card = this.card;
    const el = this.el;
    if (!card) return;
    const price = card.live_price_minor || card.price_minor || 0;
    const best = this._cardCoupon();
    if (!best) {
      el.cardCoupon.hidden = true;
      el.card.dataset.coupon = '';
      return;
    }
    el.cardPrice.textContent = money(price - best.off, card.currency);
    el.card.dataset.priceMinor = String(price - best.off);
    el.cardWas.textContent = money(card.price_minor > price ? card.price_minor : price, card.currency);
    el.cardCoupon.textContent = t('coupon.applied', { title: best.claim.coupon.title, amount: money(best.off, card.currency) });
    el.cardCoupon.hidden = false;
    el.card.dataset.coupon = best.claim.id;
  },

  /** The claim ids the checkout names for a line of the card's product. */
  _couponsFor(productId) {
    const best = this.card && this.card.product_id === productId ? this._cardCoupon() : null;
    return best ? [best.claim.id] : [];
  },
};
