// The replay of a show (回放): the recording plays with its product chapters
// (one per product card the anchor presented) next to it, the card of the
// chapter being played with Buy (at the price the shop charges now: the
// live price applies only while the operator keeps the product presented),
// and the show's chat replayed at the moments it was written. Replay views,
// chapter plays and clicks feed the after-show report. The embed plays
// replays with the same class (embed.js, attribute replay).

import { Api, ApiError, h, clear } from './api.js';
import { Checkout } from './checkout.js';
import { t, money, buyerMessage } from './i18n.js';

/** Milliseconds as m:ss (or h:mm:ss). */
export function clockOf(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}

/** The recording of show among recordings: the one its time overlaps most. */
export function recordingOf(show, recordings) {
  const s0 = Date.parse(show.started_at), s1 = show.ended_at ? Date.parse(show.ended_at) : Date.now();
  let best = null, bestOverlap = -1;
  for (const r of recordings || []) {
    const r0 = Date.parse(r.started_at), r1 = r.ended_at ? Date.parse(r.ended_at) : r0 + (r.duration_ms || 0);
    const overlap = Math.min(s1, r1) - Math.max(s0, r0);
    if (overlap > bestOverlap) { best = r; bestOverlap = overlap; }
  }
  return best;
}

function viewerId() {
  const key = 'livesell.replay.viewer';
  let id = '';
  try { id = sessionStorage.getItem(key) || ''; } catch (_) { /* blocked */ }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    const b = new Uint8Array(9);
    crypto.getRandomValues(b);
    id = 'r' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    try { sessionStorage.setItem(key, id); } catch (_) { /* not kept */ }
  }
  return id;
}

/** The replay player of one room's show. */
export class Replay {
  /**
   * @param {HTMLElement} root
   * @param {object} o
   * @param {string} o.room
   * @param {string} [o.show] a show id (default: the latest ended show)
   * @param {string} [o.base] server origin ('' = this page's)
   * @param {string} [o.token] user JWT
   * @param {(name: string, detail: object) => void} [o.onEvent] host-page events
   */
  constructor(root, o) {
    this.root = root;
    this.room = o.room;
    this.showId = o.show || '';
    this.base = (o.base || '').replace(/\/$/, '');
    this.token = o.token || '';
    this.onEvent = o.onEvent || (() => {});
    this.api = new Api(this.base, () => this.token);
    this.viewer = viewerId();
    this.chapters = [];
    this.messages = [];
    this.current = -1;
    this.shownChat = 0;
    this.checkout = new Checkout({
      api: this.api, base: this.base, room: this.room,
      emit: (name, detail) => this.emit(name, detail),
      providers: () => this.api.get('/api/payments/providers').then((r) => (Array.isArray(r) ? r : (r && r.providers) || []).map((p) => (typeof p === 'string' ? p : p.name))),
    });
    this._build();
  }

  emit(name, detail) { try { this.onEvent(name, detail || {}); } catch (_) { /* the host's handler */ } }

  _build() {
    const el = this.el = {};
    el.video = h('video', { class: 'ls-replay-video', controls: true, playsInline: true, muted: true, preload: 'auto', 'aria-label': t('replay.video') });
    el.status = h('p', { class: 'ls-replay-status', role: 'status' }, t('replay.loading'));
    el.chat = h('ol', { class: 'ls-replay-chat', 'aria-label': t('replay.chat'), 'aria-live': 'polite' });
    el.cardImg = h('img', { class: 'ls-card-img', alt: '' });
    el.cardTitle = h('div', { class: 'ls-card-title' });
    el.cardPrice = h('div', { class: 'ls-card-prices' });
    el.cardNote = h('p', { class: 'ls-replay-note' });
    el.buy = h('button', { class: 'ls-buy ls-replay-buy', type: 'button', onclick: () => this.buy() }, t('replay.buy'));
    el.card = h('aside', { class: 'ls-replay-card', hidden: true, 'aria-label': t('replay.product') },
      el.cardImg, h('div', { class: 'ls-card-body' }, el.cardTitle, el.cardPrice, el.cardNote), el.buy);
    el.chapters = h('ol', { class: 'ls-chapters', 'aria-label': t('replay.chapters') });
    const stage = h('div', { class: 'ls-replay-stage' }, el.video, el.card);
    this.root.append(h('div', { class: 'ls-replay' },
      h('section', { class: 'ls-replay-main' }, stage, el.status),
      h('section', { class: 'ls-replay-side' },
        h('h2', { class: 'ls-replay-h' }, t('replay.chapters')), el.chapters,
        h('h2', { class: 'ls-replay-h' }, t('replay.chat')), el.chat)),
    this.checkout.el);
    el.video.addEventListener('timeupdate', () => this._tick());
    el.video.addEventListener('seeked', () => this._tick(true));
    el.video.addEventListener('playing', () => { this._say(''); if (!this._viewed) { this._viewed = true; this._report('view'); } });
  }

  _say(text) { this.el.status.textContent = text; this.el.status.hidden = !text; }

  /** Loads the show, its chapters, its chat and its recording, then plays. */
  async start() {
    const r = encodeURIComponent(this.room);
    try {
      const ch = this.showId ? await this.api.get(`/api/rooms/${r}/shows/${encodeURIComponent(this.showId)}/chapters`) : await this.api.get(`/api/rooms/${r}/replay`);
      this.show = ch.show;
      this.showId = ch.show.id;
      const [chat, recs] = await Promise.all([
        this.api.get(`/api/rooms/${r}/shows/${encodeURIComponent(this.showId)}/chat`),
        this.api.get(`/api/rooms/${r}/recordings`),
      ]);
      this.recording = recordingOf(this.show, recs && recs.recordings);
      if (!this.recording) { this._say(t('replay.norecording')); return; }
      const origin = Date.parse(this.recording.started_at);
      // Media time is wall time from the recording's start (pauses stay as gaps).
      const abs = (u) => (u ? new URL(u, this.base || location.origin).href : '');
      this.chapters = (ch.chapters || []).map((c) => ({ ...c, image: abs(c.image), from: Date.parse(c.start) - origin, to: Date.parse(c.end) - origin }));
      this.messages = (chat.messages || []).map((m) => ({ ...m, t: Date.parse(m.at) - origin }));
      this._renderChapters();
      const src = new URL(this.recording.media_url, this.base || location.origin);
      // A <video> cannot send the viewer's token: the recording carries a grant for its media.
      if (this.recording.grant) src.searchParams.set('grant', this.recording.grant);
      this.el.video.src = src.href;
      this.emit('ready', { room: this.room, show: this.showId, chapters: this.chapters.length });
      const p = this.el.video.play();
      if (p && p.catch) p.catch(() => { /* the controls play it */ });
    } catch (err) {
      this._say(err instanceof ApiError && err.code === 'show_not_found' ? t('replay.noshow') : buyerMessage(err));
    }
  }

  _renderChapters() {
    clear(this.el.chapters);
    this.chapters.forEach((c, i) => {
      const price = money(c.price_minor, c.currency);
      this.el.chapters.append(h('li', { class: 'ls-chapter-item' },
        h('button', { class: 'ls-chapter', type: 'button', dataset: { product: c.product_id, index: String(i) }, onclick: () => this.jump(i) },
          c.image ? h('img', { class: 'ls-chapter-img', src: c.image, alt: '' }) : null,
          h('span', { class: 'ls-chapter-title' }, c.title || c.product_id),
          h('span', { class: 'ls-chapter-time' }, clockOf(Math.max(0, c.from))),
          h('span', { class: 'ls-chapter-price' }, price)),
        h('a', { class: 'ls-chapter-clip', href: this.clipURL(c), download: `${c.title || c.product_id}.webm` }, t('replay.clip'))));
    });
  }

  /** The chapter's own clip (cut by the recordings on segment boundaries, to share). */
  clipURL(c) {
    const u = new URL(`/api/rooms/${encodeURIComponent(this.room)}/recordings/${encodeURIComponent(this.recording.id)}/clip`, this.base || location.origin);
    u.searchParams.set('from_ms', String(Math.max(0, Math.round(c.from))));
    u.searchParams.set('to_ms', String(Math.max(1, Math.round(Math.min(c.to, this.recording.duration_ms || c.to)))));
    if (this.recording.grant) u.searchParams.set('grant', this.recording.grant);
    return u.href;
  }

  /** Plays chapter i from its start and shows its product. */
  jump(i) {
    const c = this.chapters[i];
    if (!c) return;
    this.el.video.currentTime = Math.max(0, c.from) / 1000;
    this._showCard(i);
    this._report('chapter', c.product_id);
    this.emit('product', { product_id: c.product_id, title: c.title });
    const p = this.el.video.play();
    if (p && p.catch) p.catch(() => {});
  }

  /** The chapter playing at media time ms (-1: none). */
  chapterAt(ms) {
    for (let i = this.chapters.length - 1; i >= 0; i--) {
      if (ms >= this.chapters[i].from && ms < this.chapters[i].to) return i;
    }
    return -1;
  }

  _tick(seeked) {
    const ms = this.el.video.currentTime * 1000;
    const i = this.chapterAt(ms);
    if (i !== this.current && !(i === -1 && this._pinned)) this._showCard(i);
    if (this._pinned && i === this.current) this._pinned = false;
    this._renderChat(ms, seeked);
  }

  _showCard(i) {
    this.current = i;
    this._pinned = i >= 0; // a jump keeps its card until the video is there
    const c = this.chapters[i];
    const el = this.el;
    el.chapters.querySelectorAll('.ls-chapter').forEach((b) => b.setAttribute('aria-current', b.dataset.index === String(i) ? 'true' : 'false'));
    if (!c) {
      if (!el.card.hidden) this.emit('card-hidden', {});
      el.card.hidden = true;
      return;
    }
    el.card.hidden = false;
    el.card.dataset.product = c.product_id;
    el.cardImg.hidden = !c.image;
    if (c.image) el.cardImg.src = c.image;
    el.cardTitle.textContent = c.title || c.product_id;
    this._renderPrice(c, null);
    this.emit('card-shown', { product_id: c.product_id, title: c.title, price_minor: c.price_minor, currency: c.currency });
    // The price charged is today's: the live price again only while the
    // operator keeps this product presented in the room.
    const seq = this._priceSeq = (this._priceSeq || 0) + 1;
    this.api.get(`/api/rooms/${encodeURIComponent(this.room)}/presenting`).then((cur) => {
      if (seq === this._priceSeq && this.chapters[this.current] === c) this._renderPrice(c, cur);
    }).catch(() => {});
  }

  _renderPrice(c, cur) {
    const el = this.el;
    const kept = cur && cur.shown && cur.product_id === c.product_id && cur.live_price_minor;
    clear(el.cardPrice);
    el.cardPrice.append(h('span', { class: 'ls-card-price' }, money(kept ? cur.live_price_minor : (cur && cur.product_id === c.product_id && cur.price_minor) || c.price_minor, c.currency)));
    el.cardNote.textContent = !kept && c.live_price_minor ? t('replay.liveprice', { price: money(c.live_price_minor, c.currency) }) : '';
  }

  _renderChat(ms, seeked) {
    const due = this.messages.filter((m) => m.t <= ms).length;
    if (seeked || due < this.shownChat) { clear(this.el.chat); this.shownChat = 0; }
    for (; this.shownChat < due; this.shownChat++) {
      const m = this.messages[this.shownChat];
      this.el.chat.append(h('li', { class: 'ls-replay-msg', dataset: { id: m.id } },
        h('span', { class: 'ls-replay-name' }, m.name || t('replay.someone')), ' ', h('span', { class: 'ls-replay-text' }, m.text)));
    }
    this.el.chat.scrollTop = this.el.chat.scrollHeight;
  }

  /** Buys one unit of the shown chapter's product. */
  async buy() {
    const c = this.chapters[this.current];
    if (!c) return;
    this._report('click', c.product_id);
    if (!this.token) {
      this.emit('login-required', { product: { product_id: c.product_id, title: c.title }, room: this.room });
      this.checkout._show();
      this.checkout._say(t('checkout.signin'), 'login');
      return;
    }
    const res = await this.checkout.run({ product_id: c.product_id, quantity: 1 });
    if (res && res.status === 'paid') this.el.cardNote.textContent = t('replay.bought');
    return res;
  }

  _report(kind, productId) {
    if (!this.showId) return;
    const body = { kind, viewer: this.viewer };
    if (productId) body.product_id = productId;
    this.api.post(`/api/rooms/${encodeURIComponent(this.room)}/shows/${encodeURIComponent(this.showId)}/replay-events`, body).catch(() => {});
  }

  /** Stops playback (the embed's element left the page). */
  stop() { this.el.video.pause(); this.el.video.removeAttribute('src'); this.el.video.load(); }
}
