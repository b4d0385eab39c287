// WHIP/WHEP client (RFC 9725 and the WHEP draft): POST an SDP offer, keep
// the session URL from Location, trickle late candidates with PATCH, restart
// ICE (or reconnect from scratch) when the network drops, DELETE on leave.
// Both sessions open a data channel labelled "livesell" for room events.

import { errorFrom } from './api.js';

const GATHER_WAIT_MS = 1500;
const MAX_BACKOFF_MS = 10000;

/** The three simulcast layers the studio sends: quarter, half, full. */
export const SIMULCAST_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 200_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 600_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_800_000 },
];

function waitGathering(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() { if (pc.iceGatheringState === 'complete') done(); }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

function preferCodec(transceiver, mime) {
  if (!transceiver.setCodecPreferences || !window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities) return;
  const caps = RTCRtpReceiver.getCapabilities(transceiver.receiver.track.kind);
  if (!caps) return;
  const first = caps.codecs.filter((c) => c.mimeType.toLowerCase() === mime);
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== mime);
  if (first.length) {
    try { transceiver.setCodecPreferences([...first, ...rest]); } catch (_) { /* not fatal */ }
  }
}

function iceFrag(sdp) {
  const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp);
  const pwd = /a=ice-pwd:(\S+)/.exec(sdp);
  const mid = /a=mid:(\S+)/.exec(sdp);
  return { ufrag: ufrag && ufrag[1], pwd: pwd && pwd[1], mid: mid ? mid[1] : '0' };
}

/**
 * A WHIP (publish) or WHEP (play) session that keeps itself connected.
 * Events: 'state' (detail: new|connecting|connected|reconnecting|closed|failed|waiting),
 * 'stream' (detail: MediaStream, WHEP), 'datachannel' (detail: RTCDataChannel),
 * 'error' (detail: Error).
 */
export class MediaSession extends EventTarget {
  /**
   * @param {object} o
   * @param {'whip'|'whep'} o.kind
   * @param {string} o.url endpoint, e.g. /whip/room1
   * @param {() => string} o.token bearer token (push key or viewer token)
   * @param {RTCIceServer[]} [o.iceServers]
   * @param {MediaStream} [o.stream] what to publish (WHIP)
   * @param {boolean} [o.simulcast] send three layers (WHIP, default true)
   * @param {string} [o.layer] pinned layer q|h|f (WHEP, '' = automatic)
   */
  constructor(o) {
    super();
    this.kind = o.kind;
    this.url = new URL(o.url, location.href).href;
    this.token = typeof o.token === 'function' ? o.token : () => o.token || '';
    this.iceServers = o.iceServers || [];
    this.stream = o.stream || null;
    this.simulcast = o.simulcast !== false;
    this.layer = o.layer || '';
    this.state = 'new';
    this.pc = null;
    this.resource = '';
    this.etag = '';
    this.remoteStream = null;
    this.dataChannel = null;
    this._abort = new AbortController();
    this._pending = [];
    this._restarting = false;
  }

  _setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.dispatchEvent(new CustomEvent('state', { detail: s }));
  }

  _headers(type) {
    const h = { 'Content-Type': type };
    const t = this.token();
    if (t) h.Authorization = `Bearer ${t}`;
    if (this.etag) h['If-Match'] = this.etag;
    return h;
  }

  /**
   * Connects once; throws ApiError on a refused offer (e.g. WHEP 409 when the
   * room is not live: its retryAfter says when to try again).
   */
  async connect() {
    if (this.state === 'closed') throw new Error('session closed');
    this._setState('connecting');
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    this._pending = [];
    if (this.kind === 'whip') {
      for (const track of this.stream.getTracks()) {
        const init = { direction: 'sendonly', streams: [this.stream] };
        if (track.kind === 'video' && this.simulcast) init.sendEncodings = SIMULCAST_ENCODINGS.map((e) => ({ ...e }));
        const tr = pc.addTransceiver(track, init);
        if (track.kind === 'video') preferCodec(tr, 'video/vp8');
      }
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      const v = pc.addTransceiver('video', { direction: 'recvonly' });
      preferCodec(v, 'video/vp8');
      this.remoteStream = new MediaStream();
      pc.addEventListener('track', (ev) => {
        this.remoteStream.addTrack(ev.track);
        this.dispatchEvent(new CustomEvent('stream', { detail: this.remoteStream }));
      });
    }
    const dc = pc.createDataChannel('livesell', { ordered: true });
    this.dataChannel = dc;
    this.dispatchEvent(new CustomEvent('datachannel', { detail: dc }));
    pc.addEventListener('icecandidate', (ev) => { if (this.pc === pc) this._onCandidate(ev.candidate); });
    pc.addEventListener('connectionstatechange', () => this._onConnState());

    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await waitGathering(pc, GATHER_WAIT_MS);
    let url = this.url;
    if (this.kind === 'whep' && this.layer) {
      const u = new URL(url); u.searchParams.set('layer', this.layer); url = u.href;
    }
    const res = await fetch(url, {
      method: 'POST', headers: this._headers('application/sdp'), body: pc.localDescription.sdp,
      signal: this._abort.signal, credentials: 'omit',
    });
    if (res.status !== 201 && res.status !== 200) {
      pc.close();
      this.pc = null;
      throw await errorFrom(res);
    }
    const loc = res.headers.get('Location');
    this.resource = loc ? new URL(loc, url).href : '';
    this.etag = res.headers.get('ETag') || '';
    const answer = await res.text();
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    this._flushCandidates();
    return this;
  }

  /** Connects, retrying with backoff (and per Retry-After) until it works or close(). */
  async start() {
    let backoff = 500;
    while (this.state !== 'closed') {
      try {
        await this.connect();
        return;
      } catch (err) {
        if (this.state === 'closed') return;
        this.dispatchEvent(new CustomEvent('error', { detail: err }));
        // Refused for good (no access, no room, the room has ended): stop.
        if (err && (err.status === 401 || err.status === 403 || err.status === 404 || err.status === 410 || err.code === 'room_ended')) {
          this._setState('failed');
          throw err;
        }
        this._setState(err && err.status === 409 ? 'waiting' : 'reconnecting');
        const wait = err && err.retryAfter ? err.retryAfter * 1000 : backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        await sleep(wait + Math.random() * 250, this._abort.signal);
      }
    }
  }

  _onCandidate(c) {
    if (!c || !c.candidate) return;
    if (!this.resource) { this._pending.push(c); return; }
    this._trickle([c]);
  }

  _flushCandidates() {
    const list = this._pending.splice(0);
    if (list.length && this.resource) this._trickle(list);
  }

  async _trickle(cands) {
    if (!this.pc || !this.pc.localDescription) return;
    const { ufrag, pwd, mid } = iceFrag(this.pc.localDescription.sdp);
    const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`, 'm=audio 9 RTP/AVP 0', `a=mid:${mid}`];
    for (const c of cands) lines.push(`a=${c.candidate}`);
    try {
      await fetch(this.resource, {
        method: 'PATCH', headers: this._headers('application/trickle-ice-sdpfrag'),
        body: lines.join('\r\n') + '\r\n', credentials: 'omit',
      });
    } catch (_) { /* trickle is best effort: candidates were also in the offer */ }
  }

  _onConnState() {
    const pc = this.pc;
    if (!pc) return;
    switch (pc.connectionState) {
      case 'connected':
        this._setState('connected');
        this._watchFarEnd(pc);
        break;
      case 'disconnected':
        this._setState('reconnecting');
        clearTimeout(this._discTimer);
        this._discTimer = setTimeout(() => {
          if (this.pc === pc && pc.connectionState === 'disconnected') this._recover();
        }, 3000);
        break;
      case 'failed':
        this._recover();
        break;
      case 'closed':
        if (this.pc === pc && this.state !== 'closed') this._reconnect();
        break;
      default:
    }
  }

  /**
   * The server ending the session (a node draining before it stops, the
   * room's publisher gone for good) closes the DTLS transport with a
   * close_notify while ICE still looks connected — connectionState stays
   * 'connected' until ICE consent fails seconds later. Reconnect at once
   * instead, after a random pause so that a node's viewers do not all come
   * back in the same instant: the POST goes to the URL the session started
   * from, which the ingress or a 307 answers from another node.
   */
  _watchFarEnd(pc) {
    const tr = pc.getReceivers().map((r) => r.transport).find(Boolean) ||
      pc.getSenders().map((s) => s.transport).find(Boolean) || (pc.sctp && pc.sctp.transport);
    if (!tr || this._watched === tr) return;
    this._watched = tr;
    tr.addEventListener('statechange', () => {
      if (this.pc !== pc || this.state === 'closed') return;
      if (tr.state !== 'closed' && tr.state !== 'failed') return;
      this._setState('reconnecting');
      setTimeout(() => { if (this.pc === pc && this.state !== 'closed') this._reconnect(); }, Math.random() * 1000);
    });
  }

  /** Tries an ICE restart over PATCH, then a fresh session. */
  async _recover() {
    if (this._restarting || this.state === 'closed') return;
    this._restarting = true;
    this._setState('reconnecting');
    try {
      if (!(await this._iceRestart())) await this._reconnect();
    } finally {
      this._restarting = false;
    }
  }

  async _iceRestart() {
    const pc = this.pc;
    if (!pc || !this.resource) return false;
    try {
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      await waitGathering(pc, GATHER_WAIT_MS);
      const { ufrag, pwd, mid } = iceFrag(pc.localDescription.sdp);
      const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`, 'm=audio 9 RTP/AVP 0', `a=mid:${mid}`];
      for (const l of pc.localDescription.sdp.split(/\r?\n/)) if (l.startsWith('a=candidate:')) lines.push(l);
      const res = await fetch(this.resource, {
        method: 'PATCH', headers: { ...this._headers('application/trickle-ice-sdpfrag'), 'If-Match': '*' },
        body: lines.join('\r\n') + '\r\n', credentials: 'omit',
      });
      if (res.status !== 200) { await pc.setLocalDescription({ type: 'rollback' }).catch(() => {}); return false; }
      this.etag = res.headers.get('ETag') || this.etag;
      const frag = await res.text();
      const remote = iceFrag(frag);
      let sdp = pc.currentRemoteDescription.sdp
        .replace(/a=ice-ufrag:\S+/g, `a=ice-ufrag:${remote.ufrag}`)
        .replace(/a=ice-pwd:\S+/g, `a=ice-pwd:${remote.pwd}`)
        .replace(/a=candidate:[^\r\n]*\r?\n/g, '');
      const cands = frag.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      sdp = sdp.replace(/(a=mid:[^\r\n]*\r?\n)/, `$1${cands.map((c) => c + '\r\n').join('')}`);
      await pc.setRemoteDescription({ type: 'answer', sdp });
      return true;
    } catch (_) {
      return false;
    }
  }

  async _reconnect() {
    this._teardown(true);
    await this.start().catch(() => {});
  }

  _teardown(deleteResource) {
    clearTimeout(this._discTimer);
    this._pending = [];
    const pc = this.pc;
    this.pc = null;
    if (pc) pc.close();
    if (deleteResource && this.resource) {
      const url = this.resource;
      fetch(url, { method: 'DELETE', headers: this._headers('text/plain'), credentials: 'omit', keepalive: true }).catch(() => {});
    }
    this.resource = '';
    this.etag = '';
  }

  /** Ends the session: DELETE on the server, close the peer connection. */
  async close() {
    if (this.state === 'closed') return;
    this._abort.abort();
    this._teardown(true);
    this._setState('closed');
  }

  /** Replaces the published track of kind (camera switch without renegotiation). */
  async replaceTrack(track) {
    if (!this.pc) return;
    for (const s of this.pc.getSenders()) if (s.track && s.track.kind === track.kind) await s.replaceTrack(track);
  }

  /**
   * Media health from getStats: bitrate (bits/s), fps, packet loss (%),
   * frames decoded (WHEP), resolution, round-trip time (ms).
   */
  async health() {
    const pc = this.pc;
    const out = { bitrate: 0, fps: 0, loss: 0, framesDecoded: 0, width: 0, height: 0, rtt: 0, layers: 0 };
    if (!pc) return out;
    const report = await pc.getStats();
    let bytes = 0, lost = 0, packets = 0;
    const now = performance.now();
    report.forEach((s) => {
      if (this.kind === 'whip' && s.type === 'outbound-rtp' && s.kind === 'video') {
        bytes += s.bytesSent || 0;
        if (s.framesPerSecond) { out.layers++; out.fps = Math.max(out.fps, s.framesPerSecond); }
        if (s.frameWidth && s.frameWidth > out.width) { out.width = s.frameWidth; out.height = s.frameHeight; }
      } else if (this.kind === 'whip' && s.type === 'remote-inbound-rtp' && s.kind === 'video') {
        lost += s.packetsLost || 0;
        if (s.roundTripTime) out.rtt = Math.round(s.roundTripTime * 1000);
      } else if (this.kind === 'whip' && s.type === 'outbound-rtp' && s.kind === 'audio') {
        bytes += s.bytesSent || 0;
      } else if (this.kind === 'whep' && s.type === 'inbound-rtp') {
        bytes += s.bytesReceived || 0;
        lost += s.packetsLost || 0;
        packets += s.packetsReceived || 0;
        if (s.kind === 'video') {
          out.fps = s.framesPerSecond || 0;
          out.framesDecoded = s.framesDecoded || 0;
          out.width = s.frameWidth || 0;
          out.height = s.frameHeight || 0;
        }
      }
      if (this.kind === 'whip' && s.type === 'outbound-rtp' && s.kind === 'video') packets += s.packetsSent || 0;
    });
    if (this._last) {
      const dt = (now - this._last.at) / 1000;
      if (dt > 0) out.bitrate = Math.max(0, Math.round(((bytes - this._last.bytes) * 8) / dt));
      const dp = packets - this._last.packets, dl = lost - this._last.lost;
      if (dp + dl > 0) out.loss = Math.max(0, Math.round((dl / (dp + dl)) * 1000) / 10);
    }
    this._last = { at: now, bytes, packets, lost };
    return out;
  }
}
