package sfu

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"go.uber.org/goleak"
)

// longGOP is a publisher that, like a browser, sends keyframes only at the
// start and when asked: a viewer gets one from the cache or from a PLI.
var longGOP = synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Bitrates: []int{100_000, 300_000, 3_000_000}, GOP: 2500}

// firstKeyframeOf returns the arrival of the first keyframe of layer
// received after since, or 0.
func firstKeyframeOf(v *synth.Viewer, layer uint8, since time.Time) int64 {
	for _, p := range v.Packets() {
		if p.ArrivalNs >= since.UnixNano() && p.Keyframe && p.Tail.Layer == layer {
			return p.ArrivalNs
		}
	}
	return 0
}

func TestPLIThrottle(t *testing.T) {
	ms := int64(time.Millisecond)
	cases := []struct {
		name  string
		at    []int64 // ms
		allow []bool
	}{
		{"first is sent", []int64{1000}, []bool{true}},
		{"coalesced inside the window", []int64{1000, 1001, 1499}, []bool{true, false, false}},
		{"retried at the window's edge", []int64{1000, 1499, 1500}, []bool{true, false, true}},
		{"window restarts from the last sent", []int64{1000, 1500, 1999, 2000}, []bool{true, true, false, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var th pliThrottle
			for i, at := range c.at {
				if got := th.allow(at * ms); got != c.allow[i] {
					t.Errorf("request %d at %d ms: allow %v, want %v", i, at, got, c.allow[i])
				}
			}
		})
	}
}

// TestStoppedLayerFallsBackAtOnce: the browser stops its top layer (CPU
// load); a viewer pinned to it must move to a live layer and get a
// keyframe there at once, not after the layer idles for seconds.
func TestStoppedLayerFallsBackAtOnce(t *testing.T) {
	e := newTestEngine(t, Config{})
	pub, _ := startPublisher(t, e, "r1", longGOP)
	v, _ := startViewer(t, e, "r1", "f")
	waitFor(t, 10*time.Second, "top layer", func() bool {
		p := v.Packets()
		return len(p) > 0 && p[len(p)-1].Tail.Layer == 2
	})
	before := pub.PLIs(1)
	stop := time.Now()
	pub.Pause(2, true)
	waitFor(t, 5*time.Second, "keyframe of the middle layer", func() bool { return firstKeyframeOf(v, 1, stop) != 0 })
	if d := time.Duration(firstKeyframeOf(v, 1, stop) - stop.UnixNano()); d > 1500*time.Millisecond {
		t.Errorf("keyframe of the live layer %v after the top layer stopped, want about 1 s", d)
	}
	if pub.PLIs(1) == before {
		t.Error("no PLI on the middle layer's SSRC")
	}
	checkStream(t, v.Packets())
}

// TestJoinWithoutCacheGetsKeyframe: the joiner's layer has no usable cache
// (a long GOP at a high bitrate): the PLI goes to that layer's SSRC and
// only there, and the keyframe comes within a second. A second joiner a
// moment later shares it.
func TestJoinWithoutCacheGetsKeyframe(t *testing.T) {
	e := newTestEngine(t, Config{})
	pub, ps := startPublisher(t, e, "r1", longGOP)
	top := ps.pub.layerList()[2]
	waitFor(t, 10*time.Second, "the top layer's cache to outgrow a replay", func() bool {
		return top.packets.Load() > 400 && !top.cacheReady.Load()
	})
	plis := []int64{pub.PLIs(0), pub.PLIs(1), pub.PLIs(2)}
	for i := range 2 {
		start := time.Now()
		v, _ := startViewer(t, e, "r1", "f")
		select {
		case <-v.Keyframe():
		case <-time.After(5 * time.Second):
			t.Fatalf("joiner %d: no keyframe", i)
		}
		if d := v.FirstKeyframeAt().Sub(start); d > time.Second {
			t.Errorf("joiner %d: keyframe after %v, want < 1s", i, d)
		}
		waitFor(t, 5*time.Second, "packets", func() bool { return len(v.Packets()) >= 20 })
		if p := v.Packets(); p[0].Tail.Layer != 2 || !p[0].Keyframe {
			t.Errorf("joiner %d: starts with layer %d keyframe=%v", i, p[0].Tail.Layer, p[0].Keyframe)
		}
		checkStream(t, v.Packets())
	}
	if pub.PLIs(2) == plis[2] {
		t.Error("no PLI on the top layer's SSRC")
	}
	if pub.PLIs(0) != plis[0] || pub.PLIs(1) != plis[1] {
		t.Errorf("PLIs on layers nobody waits for: %d, %d", pub.PLIs(0)-plis[0], pub.PLIs(1)-plis[1])
	}
}

// TestUnansweredPLIRetried: the publisher leaves the first request
// unanswered; the throttle must not swallow the retry.
func TestUnansweredPLIRetried(t *testing.T) {
	e := newTestEngine(t, Config{})
	pub, ps := startPublisher(t, e, "r1", longGOP)
	top := ps.pub.layerList()[2]
	waitFor(t, 10*time.Second, "the top layer's cache to outgrow a replay", func() bool {
		return top.packets.Load() > 400 && !top.cacheReady.Load()
	})
	pub.IgnorePLIs(2, 1)
	before := pub.PLIs(2)
	start := time.Now()
	v, _ := startViewer(t, e, "r1", "f")
	select {
	case <-v.Keyframe():
	case <-time.After(5 * time.Second):
		t.Fatal("no keyframe: the unanswered PLI was not retried")
	}
	if d := v.FirstKeyframeAt().Sub(start); d > 1500*time.Millisecond {
		t.Errorf("keyframe after %v with one PLI lost, want about one throttle window", d)
	}
	if n := pub.PLIs(2) - before; n < 2 {
		t.Errorf("%d PLIs, want a retry", n)
	}
}

// TestJoinRightAfterPublisherStart: the viewer joins before the publisher's
// tracks exist; it must end up on its layer without a long stall.
func TestJoinRightAfterPublisherStart(t *testing.T) {
	e := newTestEngine(t, Config{})
	p, ps := offerPublisher(t, e, api(t), "r1", longGOP)
	v, _ := startViewer(t, e, "r1", "f")
	start := time.Now()
	if err := p.Start(ps.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "keyframe of the top layer", func() bool { return firstKeyframeOf(v, 2, start) != 0 })
	if d := time.Duration(firstKeyframeOf(v, 2, start) - start.UnixNano()); d > 1500*time.Millisecond {
		t.Errorf("top layer's keyframe %v after the publisher started", d)
	}
	checkStream(t, v.Packets())
}

// lateLog counts records handled after its gate time is set.
type lateLog struct {
	after atomic.Int64
	late  atomic.Int64
	t     *testing.T
}

func (h *lateLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *lateLog) Handle(_ context.Context, r slog.Record) error {
	if h.after.Load() != 0 {
		h.late.Add(1)
		return nil
	}
	h.t.Log(r.Message)
	return nil
}
func (h *lateLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *lateLog) WithGroup(string) slog.Handler      { return h }

// engineGoroutines returns the stacks of goroutines running engine code.
func engineGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "livesell/sfu.") && !strings.Contains(g, "livesell/sfu.Test") {
			out = append(out, g)
		}
	}
	return out
}

// TestCloseLeavesNothing: Engine.Close with a live publisher and viewers
// returns only once every goroutine it started is gone, and nothing logs
// through its logger afterwards.
func TestCloseLeavesNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	lg := &lateLog{t: t}
	e, err := NewEngine(Config{ICEInterfaces: []string{"lo"}, Logger: slog.New(lg)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	pub, _ := startPublisher(t, e, "r1", simulcast)
	var viewers []*synth.Viewer
	for _, layer := range []string{"", "q", "f"} {
		v, _ := startViewer(t, e, "r1", layer)
		viewers = append(viewers, v)
	}
	for _, v := range viewers {
		waitFor(t, 10*time.Second, "video", func() bool { return v.VideoPackets() > 10 })
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	lg.after.Store(time.Now().UnixNano())
	// Close's own closer goroutines have called Done by the time it
	// returns, but may not have exited yet: give them a moment.
	g := engineGoroutines()
	for deadline := time.Now().Add(time.Second); len(g) > 0 && time.Now().Before(deadline); g = engineGoroutines() {
		time.Sleep(10 * time.Millisecond)
	}
	if len(g) > 0 {
		t.Errorf("%d engine goroutines a second after Close:\n%s", len(g), strings.Join(g, "\n\n"))
	}
	// The peers notice and close; nothing of the engine may log meanwhile.
	_ = pub.Close()
	for _, v := range viewers {
		_ = v.Close()
	}
	time.Sleep(300 * time.Millisecond)
	if n := lg.late.Load(); n > 0 {
		t.Errorf("%d records logged after Close returned", n)
	}
	goleak.VerifyNone(t, ignore)
}

// TestJoinLongBacklogKeyframeAlone: a viewer joining more than half a
// second into a GOP is sent the cached keyframe alone (a picture at once),
// then continues from a fresh keyframe, with nothing of the old GOP's
// backlog in between and one continuous stream.
func TestJoinLongBacklogKeyframeAlone(t *testing.T) {
	e := newTestEngine(t, Config{})
	pub, ps := startPublisher(t, e, "r1", longGOP)
	low := ps.pub.layerList()[0]
	// The layer's first keyframe may come before its reader (Pion starts
	// the track on its first packet): ask for one until the cache has it.
	waitFor(t, 10*time.Second, "the low layer's cache", func() bool {
		if low.cacheReady.Load() {
			return true
		}
		low.requestKeyframe()
		return false
	})
	// Then 20 frames (0.8 s at 25 fps) more in the cache.
	n0 := low.packets.Load()
	waitFor(t, 10*time.Second, "0.8 s of GOP in the low layer's cache", func() bool {
		return low.packets.Load() >= n0+20 && low.cacheReady.Load()
	})
	before := pub.PLIs(0)
	v, _ := startViewer(t, e, "r1", "q")
	waitFor(t, 5*time.Second, "two keyframes", func() bool {
		n := 0
		for _, p := range v.Packets() {
			if p.Keyframe {
				n++
			}
		}
		return n >= 2
	})
	pkts := v.Packets()
	if !pkts[0].Keyframe {
		t.Fatalf("first packet: frame %d, not the cached keyframe", pkts[0].Tail.Frame)
	}
	for i, p := range pkts[1:] {
		if p.Tail.Frame != pkts[0].Tail.Frame {
			if !p.Keyframe {
				t.Fatalf("packet %d after the cached keyframe is frame %d, not a fresh keyframe", i+1, p.Tail.Frame)
			}
			break
		}
	}
	if pub.PLIs(0) == before {
		t.Error("no keyframe request on the low layer")
	}
	checkStream(t, pkts)
}
