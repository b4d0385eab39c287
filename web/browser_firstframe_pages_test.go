//go:build browser

package web_test

// The first-frame probe pages: a WHIP publisher and a WHEP viewer written
// against the bare protocols (fetch + RTCPeerConnection, no livesell
// script), so that the same pages measure livesell and other WHIP/WHEP
// servers alike. Both install themselves as window.ffPublish(cfg) and
// window.ffView(cfg) on a blank page of the server's origin.
//
// Times are the page's performance.now() (milliseconds); the viewer's first
// presented frame comes from requestVideoFrameCallback's presentationTime.
const ffPagesJS = `(() => {
async function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise((res) => {
    const t = setTimeout(res, 3000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); res(); }
    });
  });
}
async function exchange(url, token, sdp) {
  const headers = { 'Content-Type': 'application/sdp' };
  if (token) headers.Authorization = 'Bearer ' + token;
  for (let i = 0; ; i++) {
    const resp = await fetch(url, { method: 'POST', headers, body: sdp });
    if (resp.status === 201 || resp.status === 200) {
      const loc = resp.headers.get('Location');
      return { sdp: await resp.text(), location: loc ? new URL(loc, new URL(url, location.href)).pathname : '' };
    }
    if (i > 100 || (resp.status !== 409 && resp.status !== 404 && resp.status !== 503)) {
      throw new Error('POST ' + url + ': ' + resp.status + ' ' + await resp.text());
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ffPublish publishes a 640x360 30 fps canvas (a moving square and a frame
// counter) and a 440 Hz tone over WHIP with codec cfg.codec ('vp8' or
// 'h264', H.264 constrained baseline, packetization-mode 1).
window.ffPublish = async (cfg) => {
  const c = document.createElement('canvas');
  c.width = 640; c.height = 360;
  document.body.prepend(c);
  const g = c.getContext('2d');
  let frame = 0;
  function draw() {
    const x = (frame * 7) % 600;
    g.fillStyle = '#234'; g.fillRect(0, 0, 640, 360);
    g.fillStyle = 'hsl(' + (frame % 360) + ',80%,60%)'; g.fillRect(x, 120, 40, 40);
    g.fillStyle = '#fff'; g.font = 'bold 40px sans-serif';
    g.fillText('frame ' + frame, 20, 300);
    frame++;
  }
  draw();
  setInterval(draw, 1000 / 30);
  const stream = c.captureStream(30);
  const ac = new AudioContext();
  const osc = ac.createOscillator();
  const dst = ac.createMediaStreamDestination();
  osc.frequency.value = 440;
  osc.connect(dst); osc.start();
  const pc = new RTCPeerConnection();
  const vt = pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
  const caps = RTCRtpSender.getCapabilities('video').codecs;
  let want = caps.filter((k) => k.mimeType.toLowerCase() === 'video/' + cfg.codec);
  if (cfg.codec === 'h264') {
    want = want.filter((k) => /packetization-mode=1/.test(k.sdpFmtpLine) && /profile-level-id=42e01f/.test(k.sdpFmtpLine));
  }
  if (!want.length) throw new Error('no ' + cfg.codec + ' in this browser');
  vt.setCodecPreferences(want);
  pc.addTransceiver(dst.stream.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const answer = await exchange(cfg.url, cfg.token, pc.localDescription.sdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  const sender = vt.sender;
  const out = async () => {
    const s = await sender.getStats();
    for (const r of s.values()) if (r.type === 'outbound-rtp') return r;
    return {};
  };
  window.ffPub = {
    pc,
    // stop ends the session (DELETE on the WHIP resource) and the peer.
    stop: async () => {
      pc.close();
      if (answer.location) {
        const headers = cfg.token ? { Authorization: 'Bearer ' + cfg.token } : {};
        await fetch(answer.location, { method: 'DELETE', headers }).catch(() => {});
      }
      return true;
    },
    // encoded returns the sender's counts of frames and keyframes encoded.
    encoded: async () => { const r = await out(); return { frames: r.framesEncoded || 0, keyframes: r.keyFramesEncoded || 0, codec: r.codecId || '' }; },
    // keyframe makes the encoder start over (pause and resume the encoding),
    // which begins with a keyframe; it resolves once that keyframe is encoded.
    keyframe: async () => {
      const before = (await out()).keyFramesEncoded || 0;
      let p = sender.getParameters();
      p.encodings[0].active = false;
      await sender.setParameters(p);
      p = sender.getParameters();
      p.encodings[0].active = true;
      await sender.setParameters(p);
      for (let i = 0; i < 300; i++) {
        if (((await out()).keyFramesEncoded || 0) > before) return performance.now();
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('no keyframe after resuming the encoding');
    },
  };
  return true;
};

async function inbound(pc) {
  const s = await pc.getStats();
  const o = { at: performance.now() };
  for (const r of s.values()) {
    if (r.type !== 'inbound-rtp') continue;
    if (r.kind === 'video') {
      o.video = { framesReceived: r.framesReceived || 0, framesDecoded: r.framesDecoded || 0,
        framesDropped: r.framesDropped || 0, keyFramesDecoded: r.keyFramesDecoded || 0,
        freezeCount: r.freezeCount || 0, totalFreezesDuration: r.totalFreezesDuration || 0,
        jitterBufferDelay: r.jitterBufferDelay || 0, jitterBufferEmittedCount: r.jitterBufferEmittedCount || 0,
        pliCount: r.pliCount || 0, firCount: r.firCount || 0, nackCount: r.nackCount || 0,
        packetsLost: r.packetsLost || 0, packetsReceived: r.packetsReceived || 0 };
    } else if (r.kind === 'audio') {
      o.audio = { totalSamplesReceived: r.totalSamplesReceived || 0, concealedSamples: r.concealedSamples || 0,
        removedSamplesForAcceleration: r.removedSamplesForAcceleration || 0,
        insertedSamplesForDeceleration: r.insertedSamplesForDeceleration || 0,
        jitterBufferDelay: r.jitterBufferDelay || 0, jitterBufferEmittedCount: r.jitterBufferEmittedCount || 0,
        packetsReceived: r.packetsReceived || 0, totalSamplesDuration: r.totalSamplesDuration || 0 };
    }
  }
  return o;
}

// ffView plays cfg.url over WHEP. window.ffResult holds: offerAt, answerAt,
// connectedAt, firstFrame (presentation and receive time of the first
// presented frame), frames presented, stats 5 s after the answer (at5), and a
// timeline of stats every 250 ms for the first 6 s, and maxLag: how late
// (ms) the page's 20 ms timer ran at worst in the first 5 s.
window.ffView = async (cfg) => {
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true; v.width = 640;
  document.body.prepend(v);
  const r = window.ffResult = { frames: 0, timeline: [], error: '', maxLag: 0 };
  // How late the page's own timers run: a machine too loaded to run the
  // page on time cannot show frames on time either.
  let lastTick = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    if (r.answerAt && now - r.answerAt < 5000) r.maxLag = Math.max(r.maxLag, now - lastTick - 20);
    lastTick = now;
  }, 20);
  const onFrame = (now, md) => {
    if (!r.firstFrame) r.firstFrame = { presentedAt: md.presentationTime || now, receivedAt: md.receiveTime || 0, callbackAt: now, width: md.width };
    r.frames++;
    if (r.frames === 30) r.frame30At = md.presentationTime || now;
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.ontrack = (e) => {
    if (e.track.kind !== 'video') return;
    v.srcObject = e.streams[0] || new MediaStream([e.track]);
    v.play().catch(() => {});
  };
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'connected' && !r.connectedAt) r.connectedAt = performance.now();
  });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  r.offerAt = performance.now();
  const answer = await exchange(cfg.url, cfg.token, pc.localDescription.sdp);
  r.answerAt = performance.now();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  const tick = async () => {
    const el = performance.now() - r.answerAt;
    const s = await inbound(pc);
    if (el < 6000) { r.timeline.push(s); setTimeout(tick, 250); }
  };
  tick();
  setTimeout(async () => { r.at5 = await inbound(pc); clearInterval(lag); }, Math.max(0, r.answerAt + 5000 - performance.now()));
  window.ffPC = pc;
  return true;
};
})()`
