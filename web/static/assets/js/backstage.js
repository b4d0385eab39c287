// A ticket tier's extra video sources (e.g. the VIP backstage camera) on
// the viewer room: one button per source the viewer's pass lists; pressing
// it plays that source (WHEP /whep/{room}/sources/{source}) in a small
// picture over the stage, pressing again closes it. The server refuses a
// source the ticket does not include (403 source_not_in_pass).

import { h, browserConfig } from './api.js';
import { t } from './i18n.js';
import { MediaSession } from './whip.js';

export class Backstage {
  /**
   * @param {object} viewer the Viewer (its el.stage hosts the picture)
   * @param {{room: string, token: () => string, sources: string[]}} o
   */
  constructor(viewer, o) {
    this.viewer = viewer;
    this.o = o;
    this.session = null;
    this.video = h('video', { class: 'ls-source-video', autoplay: true, muted: true, playsinline: true, hidden: true });
    this.video.muted = true;
    this.bar = h('div', { class: 'ls-sources', role: 'group', 'aria-label': t('presale.src.label') },
      o.sources.map((src) => {
        const b = h('button', { type: 'button', class: 'btn-mini ls-source', dataset: { source: src }, 'aria-pressed': 'false' }, t('presale.src.watch', { source: src }));
        b.addEventListener('click', () => this.toggle(src, b));
        return b;
      }));
  }

  show() { this.viewer.el.stage.append(this.video, this.bar); }

  async toggle(src, button) {
    const was = this.session && this.session.source;
    this.stop();
    for (const b of this.bar.children) b.setAttribute('aria-pressed', 'false');
    if (was === src) return;
    button.setAttribute('aria-pressed', 'true');
    const cfg = await browserConfig('');
    const s = new MediaSession({
      kind: 'whep', url: `/whep/${encodeURIComponent(this.o.room)}/sources/${encodeURIComponent(src)}`,
      token: this.o.token, iceServers: cfg.ice_servers || [],
    });
    s.source = src;
    this.session = s;
    this.video.dataset.source = src;
    s.addEventListener('stream', (ev) => {
      if (this.video.srcObject !== ev.detail) this.video.srcObject = ev.detail;
      this.video.hidden = false;
      const p = this.video.play();
      if (p && p.catch) p.catch(() => {});
    });
    s.addEventListener('state', (ev) => { this.video.dataset.state = ev.detail; });
    s.start().catch((err) => { this.video.dataset.state = 'refused'; this.video.dataset.code = (err && err.code) || ''; });
  }

  /** Closes the source's session. */
  stop() {
    if (this.session) this.session.close();
    this.session = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }
}
