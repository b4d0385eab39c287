package sfu

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testAPI = sync.OnceValues(func() (*webrtc.API, error) { return synth.NewAPI(true) })

func api(t testing.TB) *webrtc.API {
	t.Helper()
	a, err := testAPI()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	cfg.ICEInterfaces = []string{"lo"}
	if os.Getenv("SFU_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startPublisher publishes a synthetic stream into room and waits until the
// engine has all its video layers.
func startPublisher(t testing.TB, e *Engine, room string, opts synth.PublisherOptions, prep ...func(*synth.Publisher)) (*synth.Publisher, *Session) {
	t.Helper()
	p, s := offerPublisher(t, e, api(t), room, opts, prep...)
	if err := p.Start(s.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	want := max(1, len(opts.RIDs))
	waitFor(t, 10*time.Second, "publisher layers", func() bool { return len(s.pub.layerList()) == want })
	return p, s
}

// offerPublisher makes a synthetic publisher on a, publishes its offer into
// room and returns both, the publisher not started yet.
func offerPublisher(t testing.TB, e *Engine, a *webrtc.API, room string, opts synth.PublisherOptions, prep ...func(*synth.Publisher)) (*synth.Publisher, *Session) {
	t.Helper()
	p, err := synth.NewPublisher(a, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	for _, f := range prep {
		f(p)
	}
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Publish(testCtx(t), PublishRequest{Room: room, OfferSDP: offer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return p, s
}

// startViewer subscribes a synthetic viewer to room.
func startViewer(t testing.TB, e *Engine, room, layer string) (*synth.Viewer, *Session) {
	t.Helper()
	v, err := synth.NewViewer(api(t), synth.ViewerOptions{Record: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	offer, err := v.Offer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Subscribe(testCtx(t), SubscribeRequest{Room: room, OfferSDP: offer, Layer: layer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := v.Start(s.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	return v, s
}

var simulcast = synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Bitrates: []int{100_000, 300_000, 800_000}}

// checkStream asserts that pkts form one continuous stream: sequence
// numbers without gaps or duplicates, timestamps never going back, VP8
// picture IDs never going back.
func checkStream(t *testing.T, pkts []synth.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		a, b := pkts[i-1], pkts[i]
		if b.Seq != a.Seq+1 {
			for j := max(0, i-5); j < min(len(pkts), i+3); j++ {
				t.Logf("%d: seq %d ts %d layer %d frame %d pkt %d kf %v", j, pkts[j].Seq, pkts[j].TS, pkts[j].Tail.Layer, pkts[j].Tail.Frame, pkts[j].Tail.Packet, pkts[j].VP8.Keyframe)
			}
			t.Fatalf("packet %d: seq %d after %d", i, b.Seq, a.Seq)
		}
		if int32(b.TS-a.TS) < 0 {
			t.Fatalf("packet %d: timestamp %d after %d", i, b.TS, a.TS)
		}
		if d := int16((b.VP8.PicID - a.VP8.PicID) << 1); d < 0 {
			t.Fatalf("packet %d: picture ID %d after %d", i, b.VP8.PicID, a.VP8.PicID)
		}
		if b.SSRC != a.SSRC {
			t.Fatalf("packet %d: SSRC changed", i)
		}
	}
}
