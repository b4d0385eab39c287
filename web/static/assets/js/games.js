// The viewer's side of the live games: lucky draws (the keyword to comment
// or an Enter button, a countdown, then "You won!" with a Claim button for
// the winner and a link to verify the draw), red packets (a Grab button),
// and gifts (what others send, a gift bar paid from the wallet). It listens
// to the room's "notice" messages (draw.opened, draw.won,
// redpacket.launched, redpacket.ended, gift.sent) and tells the host page
// through the viewer's events (docs/embed.md): draw, draw-result,
// redpacket, gift.

import { h, clear, newIdempotencyKey, ApiError } from './api.js';
import { t, money } from './i18n.js';


function seconds(until) { return Math.max(0, Math.round((new Date(until).getTime() - Date.now()) / 1000)); }

/** Attaches the games to viewer v, whose room events are ev. */
export function attachGames(v, ev) {
  if (!v.games) v.games = new Games(v);
  ev.addEventListener('notice', (e) => v.games.onNotice(e.detail));
}

class Games {
  constructor(v) {
    this.v = v;
    this.draws = new Map();
    this.packets = new Map();
    this.el = h('div', { class: 'ls-games', 'aria-live': 'polite' });
    // Styles from a stylesheet, never inline (pages and host pages keep a strict style-src).
    v.el.stage.appendChild(h('link', { rel: 'stylesheet', href: `${v.base}/assets/css/games.css` }));
    v.el.stage.appendChild(this.el);
    this.timer = setInterval(() => this.tick(), 1000);
    if (!v.hideChat && v.el.side) this.giftBar();
  }

  onNotice(n) {
    if (!n || typeof n.kind !== 'string') return;
    const d = n.data || {};
    switch (n.kind) {
      case 'draw.opened': this.drawOpened(d); break;
      case 'draw.won': this.drawWon(d); break;
      case 'redpacket.launched': this.packet(d); break;
      case 'redpacket.ended': this.packetEnded(d); break;
      case 'gift.sent': this.gift(d); break;
      default:
    }
  }

  box(cls, id) {
    let b = this.el.querySelector(`[data-id="${id}"]`);
    if (!b) {
      b = h('div', { class: `ls-game ${cls}`, dataset: { id } });
      this.el.appendChild(b);
    }
    return b;
  }

  drawOpened(d) {
    if (!d.id || this.draws.has(d.id)) return;
    this.draws.set(d.id, d);
    const b = this.box('ls-draw', d.id);
    b.dataset.state = 'open';
    const how = d.rule === 'keyword' ? t('draw.how.keyword', { keyword: d.keyword })
      : d.rule === 'like' ? t('draw.how.like') : t('draw.how.button');
    const left = h('p', { class: 'ls-draw-left' });
    clear(b);
    b.append(h('h3', {}, '🎁 ', d.title || t('draw.title')), h('p', { class: 'ls-draw-how' }, how), left);
    if (d.rule !== 'keyword' && d.rule !== 'like') {
      const btn = h('button', { type: 'button', class: 'ls-draw-enter' }, t('draw.enter'));
      btn.addEventListener('click', () => this.enter(d, btn));
      b.append(btn);
    }
    d._left = left;
    this.tick();
    this.v.emit('draw', { id: d.id, title: d.title, rule: d.rule, keyword: d.keyword || '', closes_at: d.closes_at });
  }

  async enter(d, btn) {
    btn.disabled = true;
    try {
      await this.v.api.post(`/api/draws/${encodeURIComponent(d.id)}/enter`, {});
      btn.textContent = t('draw.entered');
    } catch (err) {
      btn.disabled = false;
      btn.textContent = err instanceof ApiError && err.status === 401 ? t('draw.signin') : (err.message || t('draw.enter'));
    }
  }

  tick() {
    for (const d of this.draws.values()) {
      if (d._left && d.closes_at && !d._done) d._left.textContent = t('draw.left', { s: seconds(d.closes_at) });
    }
    for (const p of this.packets.values()) {
      if (p._left && !p._done) {
        const opens = seconds(p.opens_at);
        p._left.textContent = opens > 0 ? t('redpacket.opens', { s: opens }) : t('redpacket.left', { s: seconds(p.ends_at) });
      }
    }
  }

  async drawWon(d) {
    if (!d.id) return;
    const prev = this.draws.get(d.id) || {};
    prev._done = true;
    this.draws.set(d.id, Object.assign(prev, d));
    const b = this.box('ls-draw', d.id);
    b.dataset.state = 'closed';
    const r = d.result || {};
    clear(b);
    b.append(h('h3', {}, '🎁 ', d.title || t('draw.title')),
      h('p', { class: 'ls-draw-count' }, t('draw.drawn', { n: (r.winners || []).length, entries: r.entries || 0 })));
    let mine = null;
    if (this.v.token) {
      try { mine = await this.v.api.get(`/api/draws/${encodeURIComponent(d.id)}/me`); } catch (_) { /* a guest or a lost answer */ }
    }
    const verify = h('a', { class: 'ls-draw-verify', href: `/api/draws/${encodeURIComponent(d.id)}/entries`, target: '_blank', rel: 'noopener' }, t('draw.verify'));
    if (mine && mine.won) {
      b.dataset.result = 'won';
      const claim = h('button', { type: 'button', class: 'ls-draw-claim' }, mine.claimed ? t('draw.claimed') : t('draw.claim'));
      claim.disabled = !!mine.claimed;
      claim.addEventListener('click', () => this.claim(d, claim));
      b.append(h('p', { class: 'ls-draw-won' }, t('draw.won', { prize: prizeText(d.prize) })), claim);
    } else {
      b.dataset.result = mine && mine.entered ? 'lost' : 'out';
      b.append(h('p', { class: 'ls-draw-lost' }, mine && mine.entered ? t('draw.lost') : t('draw.over')));
    }
    b.append(verify);
    this.v.emit('draw-result', { id: d.id, won: !!(mine && mine.won), winners: r.winners || [], seed: d.seed || '' });
  }

  async claim(d, btn) {
    btn.disabled = true;
    try {
      await this.v.api.post(`/api/draws/${encodeURIComponent(d.id)}/claim`, {});
      btn.textContent = t('draw.claimed');
      btn.closest('.ls-draw').dataset.claimed = 'true';
    } catch (err) {
      btn.disabled = false;
      btn.textContent = err.message || t('draw.claim');
    }
  }

  packet(p) {
    if (!p.id || this.packets.has(p.id)) return;
    this.packets.set(p.id, p);
    const b = this.box('ls-redpacket', p.id);
    b.dataset.state = 'open';
    const left = h('p', { class: 'ls-rp-left' });
    const grab = h('button', { type: 'button', class: 'ls-rp-grab' }, t('redpacket.grab'));
    const msg = h('p', { class: 'ls-rp-msg', role: 'status' });
    grab.addEventListener('click', () => this.grab(p, grab, msg));
    clear(b);
    b.append(h('h3', {}, '🧧 ', t('redpacket.title', { n: p.packets, total: money(p.total_minor, p.currency) })), left, grab, msg);
    p._left = left;
    this.tick();
    this.v.emit('redpacket', { id: p.id, packets: p.packets, total_minor: p.total_minor, currency: p.currency });
  }

  async grab(p, btn, msg) {
    btn.disabled = true;
    try {
      const g = await this.v.api.post(`/api/redpackets/${encodeURIComponent(p.id)}/grab`, {});
      msg.textContent = t('redpacket.got', { amount: money(g.amount_minor, g.currency) });
      btn.closest('.ls-redpacket').dataset.result = 'got';
    } catch (err) {
      msg.textContent = err instanceof ApiError && err.status === 401 ? t('redpacket.signin')
        : err instanceof ApiError && err.code === 'redpacket_empty' ? t('redpacket.empty') : err.message;
      if (!(err instanceof ApiError && err.code === 'rate_limited')) btn.closest('.ls-redpacket').dataset.result = 'missed';
      else btn.disabled = false;
    }
  }

  packetEnded(p) {
    const known = this.packets.get(p.id);
    if (known) known._done = true;
    const b = this.el.querySelector(`[data-id="${p.id}"]`);
    if (!b) return;
    b.dataset.state = 'closed';
    const left = b.querySelector('.ls-rp-left');
    if (left) left.textContent = t('redpacket.ended', { n: p.grabbed || 0 });
    const btn = b.querySelector('.ls-rp-grab');
    if (btn) btn.disabled = true;
    setTimeout(() => b.remove(), 15000);
  }

  gift(x) {
    const line = h('div', { class: 'ls-game ls-gift-line' + (x.large ? ' ls-gift-large' : '') },
      t('gift.line', { name: x.sender_name || t('gift.someone'), gift: x.gift_name || x.gift_id, n: x.count || 1 }));
    this.el.appendChild(line);
    setTimeout(() => line.remove(), x.large ? 8000 : 4000);
    this.v.emit('gift', { gift_id: x.gift_id, count: x.count, amount_minor: x.amount_minor, currency: x.currency, large: !!x.large });
  }

  async giftBar() {
    let gifts = [];
    try { gifts = (await this.v.api.get('/api/gifts')).gifts || []; } catch (_) { return; }
    if (!gifts.length) return;
    const msg = h('p', { class: 'ls-gift-msg', role: 'status' });
    const bar = h('div', { class: 'ls-gift-bar', 'aria-label': t('gift.bar') });
    for (const g of gifts) {
      const b = h('button', { type: 'button', class: 'ls-gift-send', dataset: { gift: g.id } }, `${g.name} ${money(g.price_minor, g.currency)}`);
      b.addEventListener('click', () => this.sendGift(g, msg));
      bar.appendChild(b);
    }
    this.v.el.side.append(bar, msg);
  }

  // A gift is paid from the wallet when it holds enough, else bought at
  // once through the room's checkout (an order of kind gift, paid with the
  // same providers; the gift goes out when the payment is confirmed).
  async sendGift(g, msg) {
    if (!this.v.token) { msg.textContent = t('gift.signin'); return; }
    const path = `/api/rooms/${encodeURIComponent(this.v.room)}/gifts`;
    try {
      await this.v.api.post(path, { gift_id: g.id, count: 1, pay: 'wallet' }, { idempotencyKey: newIdempotencyKey() });
      msg.textContent = t('gift.sent', { gift: g.name });
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'wallet_insufficient')) { msg.textContent = err.message; return; }
    }
    try {
      const { order } = await this.v.api.post(path, { gift_id: g.id, count: 1, pay: 'order' }, { idempotencyKey: newIdempotencyKey() });
      const res = await this.v.checkout.run({ title: g.name }, { resume: order });
      msg.textContent = res.status === 'paid' ? t('gift.sent', { gift: g.name }) : '';
    } catch (err) {
      msg.textContent = err.message;
    }
  }

  close() { clearInterval(this.timer); }
}

function prizeText(p) {
  if (!p) return '';
  if (p.kind === 'points') return t('draw.prize.points', { n: p.points });
  return p.title || p.product_id || p.coupon_id || '';
}
