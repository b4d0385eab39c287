// Danmaku renderer: comments fly across the video in lanes, and a list keeps
// the recent ones. Text is set with textContent only: never parsed as HTML.

const MAX_FLYING = 40;
const MAX_LIST = 200;

export class DanmakuLayer {
  /** @param {HTMLElement} stage element over the video (position: relative parent) */
  constructor(stage, { lanes = 8, durationMs = 7000 } = {}) {
    this.stage = stage;
    this.lanes = lanes;
    this.durationMs = durationMs;
    this.laneFree = new Array(lanes).fill(0);
    this.flying = 0;
    this.enabled = true;
  }

  /** Flies one comment; drops it when the stage is crowded. */
  fly(text, { self = false, vip = false } = {}) {
    if (!this.enabled || this.flying >= MAX_FLYING || !text) return;
    // Reduced motion: comments stay in the list and do not fly.
    if (window.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches) return;
    const now = performance.now();
    let lane = 0;
    for (let i = 1; i < this.lanes; i++) if (this.laneFree[i] < this.laneFree[lane]) lane = i;
    this.laneFree[lane] = Math.max(now, this.laneFree[lane]) + this.durationMs / 4;
    const el = document.createElement('span');
    el.className = (self ? 'dm-fly dm-self' : 'dm-fly') + (vip ? ' dm-vip' : '');
    el.textContent = text;
    el.style.top = `${(lane / this.lanes) * 80 + 4}%`;
    el.style.animationDuration = `${this.durationMs}ms`;
    el.setAttribute('aria-hidden', 'true');
    this.flying++;
    el.addEventListener('animationend', () => { el.remove(); this.flying--; }, { once: true });
    this.stage.appendChild(el);
  }
}

/** A scrolling list of comments with optional per-item actions. */
export class DanmakuList {
  /**
   * @param {HTMLElement} list a <ul> or <ol>
   * @param {(item: object, li: HTMLLIElement) => void} [decorate] adds buttons (studio moderation)
   */
  constructor(list, decorate) {
    this.list = list;
    this.decorate = decorate;
    this.byId = new Map();
  }

  /** Adds a comment; returns false when it is already listed (same id). */
  add(item) {
    if (item.id && this.byId.has(String(item.id))) return false;
    const li = document.createElement('li');
    li.className = item.vip === true ? 'dm-item dm-vip' : 'dm-item';
    if (item.id) { li.dataset.id = String(item.id); this.byId.set(String(item.id), li); }
    const who = document.createElement('span');
    who.className = 'dm-user';
    who.textContent = item.name || item.user_name || shortUser(item.user_id || item.user || '');
    const text = document.createElement('span');
    text.className = 'dm-text';
    text.textContent = item.text || '';
    li.append(who, text);
    if (item.vip === true) li.prepend(Object.assign(document.createElement('span'), { className: 'dm-badge', textContent: 'VIP' }));
    if (this.decorate) this.decorate(item, li);
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.appendChild(li);
    while (this.list.children.length > MAX_LIST) {
      const first = this.list.firstElementChild;
      if (first.dataset.id) this.byId.delete(first.dataset.id);
      first.remove();
    }
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    return true;
  }

  /** Removes a comment the anchor deleted. */
  remove(id) {
    const li = this.byId.get(String(id));
    if (li) { li.remove(); this.byId.delete(String(id)); }
  }
}

export function shortUser(id) {
  if (!id) return 'viewer';
  if (id.startsWith('anon-')) return 'guest';
  return id.length > 12 ? id.slice(0, 12) + '…' : id;
}
