package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// BenchmarkWHEPJoin measures what a viewer waits for with the real engine
// on loopback: the WHEP POST until the answer (ICE gathering included), and
// until the first keyframe is on screen. The room has a 3-layer publisher.
func BenchmarkWHEPJoin(b *testing.B) {
	n := startNode(b)
	api := peerAPI(b)
	var rm roomInfo
	if st := n.adminJSON("POST", "/api/rooms", map[string]any{"title": "bench"}, &rm); st != http.StatusCreated {
		b.Fatalf("create room: %d", st)
	}
	pub := n.publish(api, rm.WHIPURL, rm.PushKey, 1)
	defer pub.Close()
	var answerTotal, keyframeTotal time.Duration
	for b.Loop() {
		v, err := synth.NewViewer(api, synth.ViewerOptions{})
		if err != nil {
			b.Fatal(err)
		}
		offer, err := v.Offer()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		resp, answer := n.request("POST", rm.WHEPURL, offer, "Content-Type", "application/sdp")
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("WHEP: %d %s", resp.StatusCode, answer)
		}
		answerTotal += time.Since(start)
		if err := v.Start(answer); err != nil {
			b.Fatal(err)
		}
		select {
		case <-v.Keyframe():
		case <-time.After(20 * time.Second):
			b.Fatal("no keyframe")
		}
		keyframeTotal += time.Since(start)
		n.request("DELETE", resp.Header.Get("Location"), "")
		v.Close()
	}
	b.ReportMetric(float64(answerTotal.Milliseconds())/float64(b.N), "ms-to-answer")
	b.ReportMetric(float64(keyframeTotal.Milliseconds())/float64(b.N), "ms-to-keyframe")
}
