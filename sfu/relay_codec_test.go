package sfu

import (
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// TestCascadeH264 relays a single-layer H.264 publisher (OBS, ffmpeg) to an
// edge: the edge offers every video codec it forwards, and the origin's
// answer must name the publisher's codec alone, or the edge takes the
// first one it lists (VP8) and refuses its H.264 viewers.
func TestCascadeH264(t *testing.T) {
	origin := newTestEngine(t, Config{})
	edge := newTestEngine(t, Config{})
	startPublisher(t, origin, "obs", synth.PublisherOptions{H264: true, Bitrates: []int{400_000}})
	src := startSource(t, origin, edge, "obs")
	waitFor(t, 10*time.Second, "edge layer", func() bool { return len(src.pub.layerList()) == 1 })
	if got := kindOfMime(src.pub.codec.MimeType); got != codecH264 {
		t.Fatalf("edge source codec %s, want H.264", src.pub.codec.MimeType)
	}
	v, err := synth.NewViewer(api(t), synth.ViewerOptions{Record: true, VideoCodecs: synth.H264Codecs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	offer, err := v.Offer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := edge.Subscribe(testCtx(t), SubscribeRequest{Room: "obs", OfferSDP: offer})
	if err != nil {
		t.Fatalf("H.264 viewer at the edge: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := v.Start(s.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "H.264 packets at the edge", func() bool { return len(v.Packets()) >= 20 })
	pkts := v.Packets()
	if !pkts[0].Keyframe {
		t.Error("the edge's H.264 stream does not start with a keyframe")
	}
	checkStream(t, pkts)
}
