//go:build browser

package web_test

import (
	"encoding/json"
	"sort"
	"testing"
	"time"
)

// The glass-to-glass probe: the publisher draws its wall clock (Date.now(),
// low 32 bits) as two identical rows of 32 black/white cells on a canvas
// and publishes canvas.captureStream() over WHIP; the viewer reads the
// cells back from every decoded frame (requestVideoFrameCallback) and
// subtracts the time it painted. Both pages are tabs of one browser, so they
// share one clock.
const g2gPublisherJS = `(async () => {
  const { MediaSession } = await import('/assets/js/whip.js');
  const c = document.createElement('canvas');
  c.width = 640; c.height = 360;
  document.body.prepend(c);
  const g = c.getContext('2d');
  let frame = 0;
  function draw() {
    const ts = Date.now() >>> 0;
    g.fillStyle = '#203040'; g.fillRect(0, 0, 640, 360);
    for (let row = 0; row < 2; row++) {
      for (let i = 0; i < 32; i++) {
        g.fillStyle = (ts >>> (31 - i)) & 1 ? '#fff' : '#000';
        g.fillRect(i * 20, 40 + row * 40, 20, 32);
      }
    }
    g.fillStyle = '#fff'; g.font = 'bold 48px sans-serif';
    g.fillText('frame ' + (frame++), 20, 260);
  }
  setInterval(draw, 1000 / 30);
  draw();
  const stream = c.captureStream(30);
  const s = new MediaSession({ kind: 'whip', url: '/whip/' + ROOM, token: KEY, stream, simulcast: false });
  await s.start();
  window.g2g = s;
  return true;
})()`

const g2gViewerJS = `(async () => {
  const { MediaSession } = await import('/assets/js/whip.js');
  const v = document.createElement('video');
  v.muted = true; v.autoplay = true; v.playsInline = true;
  v.style.width = '640px';
  document.body.prepend(v);
  const c = document.createElement('canvas');
  c.width = 640; c.height = 360;
  const g = c.getContext('2d', { willReadFrequently: true });
  window.g2gSamples = [];
  window.g2gRejected = 0;
  function bits(y) {
    const d = g.getImageData(0, y, 640, 1).data;
    let n = 0;
    for (let i = 0; i < 32; i++) {
      const x = i * 20 + 10;
      const lum = d[x * 4] * 0.3 + d[x * 4 + 1] * 0.59 + d[x * 4 + 2] * 0.11;
      n = (n * 2) + (lum > 128 ? 1 : 0);
    }
    return n >>> 0;
  }
  function onFrame() {
    const now = Date.now() >>> 0;
    if (v.videoWidth) {
      g.drawImage(v, 0, 0, 640, 360);
      const a = bits(56), b = bits(96);
      if (a === b) {
        const lat = (now - a) >>> 0;
        if (lat < 10000) window.g2gSamples.push(lat); else window.g2gRejected++;
      } else window.g2gRejected++;
    }
    v.requestVideoFrameCallback(onFrame);
  }
  const s = new MediaSession({ kind: 'whep', url: '/whep/' + ROOM, layer: 'f' });
  s.addEventListener('stream', (e) => { v.srcObject = e.detail; v.play().catch(() => {}); });
  v.requestVideoFrameCallback(onFrame);
  await s.start();
  window.g2g = s;
  return true;
})()`

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// BenchmarkGlassToGlass measures the latency from a canvas frame drawn in
// one headless Chromium tab (published over WHIP) to the same frame painted
// in another (played over WHEP) through a livesell node on loopback. It
// reports the median and 95th percentile over 300 frames per iteration.
// Run it with .ci/browser.sh -test.run '^$' -test.bench GlassToGlass.
func BenchmarkGlassToGlass(b *testing.B) {
	n := startNode(b)
	r := createRoom(b, n, "glass to glass", nil)
	browser := newBrowser(b)
	replace := func(js string) string {
		out := []byte{}
		for i := 0; i < len(js); i++ {
			switch {
			case len(js)-i >= 4 && js[i:i+4] == "ROOM":
				out = append(out, jsString(r.ID)...)
				i += 3
			case len(js)-i >= 3 && js[i:i+3] == "KEY":
				out = append(out, jsString(r.PushKey)...)
				i += 2
			default:
				out = append(out, js[i])
			}
		}
		return string(out)
	}
	pub := newPage(b, browser, "publisher", n.base+"/embed/example?room=none")
	if _, err := evalJS[bool](pub, replace(g2gPublisherJS)); err != nil {
		pub.fail("publish: %v", err)
	}
	view := newPage(b, browser, "viewer", n.base+"/embed/example?room=none")
	if _, err := evalJS[bool](view, replace(g2gViewerJS)); err != nil {
		view.fail("play: %v", err)
	}
	view.waitFor(20*time.Second, `window.g2gSamples.length > 30`, "the first decoded timestamps")
	var all []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		view.number(`window.g2gSamples.length = 0`)
		view.waitFor(60*time.Second, `window.g2gSamples.length >= 300`, "300 samples")
		s, err := evalJS[[]float64](view, `window.g2gSamples.slice(0, 300)`)
		if err != nil {
			view.fail("samples: %v", err)
		}
		all = append(all, s...)
	}
	b.StopTimer()
	sort.Float64s(all)
	q := func(p float64) float64 { return all[int(p*float64(len(all)-1))] }
	rejected := view.number(`window.g2gRejected`)
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(all)), "frames")
	b.Logf("glass-to-glass over %d frames: p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms (%.0f frames unreadable)",
		len(all), q(0.5), q(0.95), q(0.99), all[len(all)-1], rejected)
}
