package sfu

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

func TestPinnedLayers(t *testing.T) {
	e := newTestEngine(t, Config{})
	startPublisher(t, e, "r1", simulcast)
	cases := []struct {
		layer string
		want  uint8
	}{{"q", 0}, {"f", 2}, {"mid", 1}, {"high", 2}}
	viewers := make([]*synth.Viewer, len(cases))
	for i, c := range cases {
		viewers[i], _ = startViewer(t, e, "r1", c.layer)
	}
	for i, c := range cases {
		v := viewers[i]
		waitFor(t, 10*time.Second, "30 packets for "+c.layer, func() bool { return len(v.Packets()) >= 30 })
		pkts := v.Packets()
		if !pkts[0].VP8.Keyframe {
			t.Errorf("layer %s: first packet is not a keyframe", c.layer)
		}
		for _, p := range pkts {
			if p.Tail.Layer != c.want {
				t.Fatalf("layer %s: got a packet of layer %d", c.layer, p.Tail.Layer)
			}
		}
		checkStream(t, pkts)
		waitFor(t, 5*time.Second, "audio", func() bool { return v.AudioPackets() > 0 })
	}
}

func TestForcedSwitchIsSeamless(t *testing.T) {
	e := newTestEngine(t, Config{})
	pub, _ := startPublisher(t, e, "r1", simulcast)
	v, s := startViewer(t, e, "r1", "q")
	waitFor(t, 10*time.Second, "low layer", func() bool { return len(v.Packets()) >= 20 })
	plis := pub.PLIs(2)
	if err := s.SetLayer("f"); err != nil {
		t.Fatal(err)
	}
	hasF := func() int {
		for i, p := range v.Packets() {
			if p.Tail.Layer == 2 {
				return i
			}
		}
		return -1
	}
	waitFor(t, 5*time.Second, "high layer", func() bool { return hasF() >= 0 })
	first := hasF()
	waitFor(t, 5*time.Second, "more packets", func() bool { return len(v.Packets()) > first+20 })
	pkts := v.Packets()
	checkStream(t, pkts)
	if !pkts[first].VP8.Keyframe {
		t.Errorf("first packet after the switch is not a keyframe")
	}
	for _, p := range pkts[first:] {
		if p.Tail.Layer != 2 {
			t.Fatalf("layer %d packet after the switch", p.Tail.Layer)
		}
	}
	if pub.PLIs(2) <= plis {
		t.Errorf("switch did not request a keyframe of the target layer")
	}
	if err := s.SetLayer("nope"); !errors.Is(err, ErrInvalidLayer) {
		t.Errorf("SetLayer(nope) = %v, want ErrInvalidLayer", err)
	}
}

func TestJoinMidStreamFromCache(t *testing.T) {
	e := newTestEngine(t, Config{})
	opts := simulcast
	opts.GOP = 100 // 4 s: joiners must not wait for the next periodic keyframe
	pub, ps := startPublisher(t, e, "r1", opts)
	waitFor(t, 5*time.Second, "keyframe caches", func() bool {
		for _, l := range ps.pub.layerList() {
			if !l.cacheReady.Load() {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // be mid-GOP
	before := pub.PLIs(1)
	const joiners = 6
	var wg sync.WaitGroup
	waits := make([]time.Duration, joiners)
	viewers := make([]*synth.Viewer, joiners)
	for i := range joiners {
		start := time.Now()
		viewers[i], _ = startViewer(t, e, "r1", "h")
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-viewers[i].Keyframe():
				waits[i] = viewers[i].FirstKeyframeAt().Sub(start)
			case <-time.After(5 * time.Second):
				waits[i] = -1
			}
		}()
	}
	wg.Wait()
	for i, w := range waits {
		if w < 0 || w > time.Second {
			t.Errorf("viewer %d: keyframe after %v, want < 1s", i, w)
		}
	}
	for i, v := range viewers {
		waitFor(t, 5*time.Second, "packets", func() bool { return len(v.Packets()) >= 10 })
		pkts := v.Packets()
		if !pkts[0].VP8.Keyframe {
			t.Errorf("viewer %d: stream does not start with a keyframe", i)
		}
		checkStream(t, pkts)
	}
	if got := pub.PLIs(1) - before; got > 1 {
		t.Errorf("publisher got %d PLIs for %d joiners, want at most 1", got, joiners)
	}
	// Joiners start from the cache, except any that connects after a fresh
	// keyframe (asked for by a joiner whose backlog was too long to
	// replay) and starts from that.
	if r := counterValue(e.metrics.replays); r < 1 {
		t.Errorf("%v keyframe-cache replays for %d joiners", r, joiners)
	}
	t.Logf("join waits: %v", waits)
}

func TestRoomRules(t *testing.T) {
	live := make(chan bool, 10)
	e := newTestEngine(t, Config{MaxViewers: 1, OnRoomLive: func(room string, l bool) {
		if room == "r1" {
			live <- l
		}
	}})
	ctx := testCtx(t)
	if _, err := e.Subscribe(ctx, SubscribeRequest{Room: "r1", OfferSDP: viewerOffer(t)}); !errors.Is(err, ErrNotLive) {
		t.Fatalf("Subscribe to an empty room = %v, want ErrNotLive", err)
	}
	if _, err := e.Publish(ctx, PublishRequest{Room: "r1", OfferSDP: "not sdp"}); !errors.Is(err, ErrInvalidOffer) {
		t.Fatalf("Publish(garbage) = %v, want ErrInvalidOffer", err)
	}
	if _, err := e.Publish(ctx, PublishRequest{Room: "r1", OfferSDP: twoVideoOffer(t)}); !errors.Is(err, ErrUnsupportedMedia) {
		t.Fatalf("Publish(two videos) = %v, want ErrUnsupportedMedia", err)
	}
	startPublisher(t, e, "r1", simulcast)
	if l := <-live; !l || !e.RoomLive("r1") {
		t.Fatal("room not live after Publish")
	}
	p2, err := synth.NewPublisher(api(t), simulcast)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	offer, err := p2.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Publish(ctx, PublishRequest{Room: "r1", OfferSDP: offer}); !errors.Is(err, ErrRoomBusy) {
		t.Fatalf("second Publish = %v, want ErrRoomBusy", err)
	}
	startViewer(t, e, "r1", "")
	if _, err := e.Subscribe(ctx, SubscribeRequest{Room: "r1", OfferSDP: viewerOffer(t)}); !errors.Is(err, ErrCapacity) {
		t.Fatalf("Subscribe over MaxViewers = %v, want ErrCapacity", err)
	}
}

func TestPublisherReturns(t *testing.T) {
	live := make(chan bool, 10)
	e := newTestEngine(t, Config{OnRoomLive: func(_ string, l bool) { live <- l }})
	_, ps := startPublisher(t, e, "r1", simulcast)
	<-live
	v, vs := startViewer(t, e, "r1", "h")
	waitFor(t, 10*time.Second, "first publisher's packets", func() bool { return len(v.Packets()) >= 20 })

	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	if l := <-live; l {
		t.Fatal("OnRoomLive(true) on publisher close")
	}
	if e.RoomLive("r1") {
		t.Fatal("room live after its publisher closed")
	}
	before := len(v.Packets())
	time.Sleep(200 * time.Millisecond)
	if v.PeerConnection().ConnectionState() != webrtc.PeerConnectionStateConnected {
		t.Fatal("viewer disconnected with the publisher")
	}
	select {
	case <-vs.Done():
		t.Fatal("viewer session ended with the publisher")
	default:
	}

	opts := simulcast
	opts.Gen = 2
	startPublisher(t, e, "r1", opts)
	if l := <-live; !l {
		t.Fatal("no OnRoomLive(true) for the returning publisher")
	}
	second := func() int {
		for i, p := range v.Packets() {
			if p.Tail.Gen == 2 {
				return i
			}
		}
		return -1
	}
	waitFor(t, 10*time.Second, "second publisher's packets", func() bool { return second() >= 0 })
	i := second()
	waitFor(t, 5*time.Second, "more packets", func() bool { return len(v.Packets()) > i+10 })
	pkts := v.Packets()
	if i < before {
		t.Fatalf("gen 2 packet at %d before the gap at %d", i, before)
	}
	if !pkts[i].VP8.Keyframe {
		t.Error("resumed stream does not start with a keyframe")
	}
	checkStream(t, pkts)
}

func TestSingleLayerAndDataChannel(t *testing.T) {
	e := newTestEngine(t, Config{})
	got := make(chan string, 1)
	p, err := synth.NewPublisher(api(t), synth.PublisherOptions{Bitrates: []int{500_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	dc, err := p.PeerConnection().CreateDataChannel("livesell", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = dc
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Publish(testCtx(t), PublishRequest{Room: "obs", OfferSDP: offer, OnDataChannel: func(d *webrtc.DataChannel) { got <- d.Label() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := p.Start(s.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-got:
		if l != "livesell" {
			t.Errorf("data channel label %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no data channel")
	}
	waitFor(t, 10*time.Second, "layer", func() bool { return len(s.pub.layerList()) == 1 })
	v, _ := startViewer(t, e, "obs", "high")
	waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 10 })
	pkts := v.Packets()
	if !pkts[0].VP8.Keyframe {
		t.Error("first packet is not a keyframe")
	}
	checkStream(t, pkts)
}

func viewerOffer(t *testing.T) string {
	t.Helper()
	v, err := synth.NewViewer(api(t), synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	o, err := v.Offer()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func twoVideoOffer(t *testing.T) string {
	t.Helper()
	pc, err := api(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for range 2 {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o.SDP
}

func TestAutomaticLayer(t *testing.T) {
	e := newTestEngine(t, Config{})
	_, ps := startPublisher(t, e, "r1", simulcast)
	waitFor(t, 5*time.Second, "layer bitrates", func() bool {
		for _, l := range ps.pub.layerList() {
			if l.bitrate() == 0 {
				return false
			}
		}
		return true
	})
	v, s := startViewer(t, e, "r1", "")
	if s.sub.bwe == nil {
		t.Fatal("automatic viewer has no bandwidth estimator")
	}
	waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 60 })
	// Pin, then return to automatic: the stream stays one stream.
	if err := s.SetLayer("q"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "low layer", func() bool {
		p := v.Packets()
		return p[len(p)-1].Tail.Layer == 0
	})
	if err := s.SetLayer(""); err != nil {
		t.Fatal(err)
	}
	n := len(v.Packets())
	waitFor(t, 10*time.Second, "more packets", func() bool { return len(v.Packets()) >= n+60 })
	pkts := v.Packets()
	if !pkts[0].VP8.Keyframe {
		t.Error("first packet is not a keyframe")
	}
	checkStream(t, pkts)
}

// TestH264SingleLayer is an OBS-like publisher: one H.264 layer, no rid.
// It also checks the metrics.
func TestH264SingleLayer(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newTestEngine(t, Config{Metrics: reg})
	_, ps := startPublisher(t, e, "obs", synth.PublisherOptions{H264: true, Bitrates: []int{400_000}})
	if kindOfMime(ps.pub.codec.MimeType) != codecH264 {
		t.Fatalf("negotiated %s", ps.pub.codec.MimeType)
	}
	v, _ := startViewer(t, e, "obs", "")
	waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 20 })
	pkts := v.Packets()
	if !pkts[0].Keyframe {
		t.Error("H.264 stream does not start with a keyframe")
	}
	checkStream(t, pkts)

	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	for name, min := range map[string]float64{
		"livesell_sfu_rooms": 1, "livesell_sfu_publishers": 1, "livesell_sfu_viewers": 1,
		"livesell_sfu_packets_in_total": 20, "livesell_sfu_packets_out_total": 20, "livesell_sfu_bytes_out_total": 1000,
	} {
		if got[name] < min {
			t.Errorf("%s = %v, want >= %v", name, got[name], min)
		}
	}
}

// TestNACKRetransmission asks for a packet again and gets it, over RTX
// since both sides offer it.
func TestNACKRetransmission(t *testing.T) {
	e := newTestEngine(t, Config{})
	startPublisher(t, e, "r1", simulcast)
	v, s := startViewer(t, e, "r1", "h")
	if !strings.Contains(s.AnswerSDP(), "rtx/90000") || !strings.Contains(s.AnswerSDP(), "ssrc-group:FID") {
		t.Error("answer negotiates no RTX stream")
	}
	waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 20 })
	if b := s.sub.video.dt.bound.Load(); b == nil || b.rtxSSRC == 0 || b.rtxPT == 0 {
		t.Fatalf("video downtrack bound without an RTX stream: %+v", b)
	}
	pk := v.Packets()[10]
	nack := &rtcp.TransportLayerNack{MediaSSRC: pk.SSRC, Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{pk.Seq})}
	if err := v.PeerConnection().WriteRTCP([]rtcp.Packet{nack}); err != nil {
		t.Fatal(err)
	}
	var again synth.Packet
	waitFor(t, 5*time.Second, "retransmission", func() bool {
		n := 0
		for _, p := range v.Packets() {
			if p.Seq == pk.Seq && p.Tail == pk.Tail {
				n++
				again = p
			}
		}
		return n == 2
	})
	// Sent again as first sent: same timestamp, marker, size and
	// rewritten VP8 picture ID, from the layer's shared history.
	if again.TS != pk.TS || again.Marker != pk.Marker || again.Size != pk.Size || again.VP8 != pk.VP8 || again.SSRC != pk.SSRC {
		t.Errorf("retransmission %+v differs from the original %+v", again, pk)
	}
	if got := counterValue(e.metrics.retransmits); got < 1 {
		t.Errorf("retransmits_total = %v, want >= 1", got)
	}
}

// TestPausedLayer: when the publisher stops its top layer, a viewer pinned
// to it moves down, and comes back when the layer resumes.
func TestPausedLayer(t *testing.T) {
	e := newTestEngine(t, Config{})
	pub, _ := startPublisher(t, e, "r1", simulcast)
	v, _ := startViewer(t, e, "r1", "f")
	last := func() uint8 {
		p := v.Packets()
		if len(p) == 0 {
			return 255
		}
		return p[len(p)-1].Tail.Layer
	}
	waitFor(t, 10*time.Second, "top layer", func() bool { return last() == 2 })
	pub.Pause(2, true)
	waitFor(t, 10*time.Second, "move to the middle layer", func() bool { return last() == 1 })
	pub.Pause(2, false)
	waitFor(t, 10*time.Second, "back to the top layer", func() bool { return last() == 2 })
	checkStream(t, v.Packets())
}

func TestAudioOnlyPublisher(t *testing.T) {
	e := newTestEngine(t, Config{})
	p, err := synth.NewPublisher(api(t), synth.PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Strip the video section: an audio-only offer.
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(offer, "m=video")
	j := strings.Index(offer, "m=audio")
	if i < 0 || j < i {
		t.Fatalf("unexpected offer layout")
	}
	audioOnly := strings.Replace(offer[:i]+offer[j:], "BUNDLE 0 1", "BUNDLE 1", 1)
	s, err := e.Publish(testCtx(t), PublishRequest{Room: "radio", OfferSDP: audioOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vs, err := e.Subscribe(testCtx(t), SubscribeRequest{Room: "radio", OfferSDP: viewerOffer(t)})
	if err != nil {
		t.Fatalf("viewer of an audio-only room: %v", err)
	}
	defer vs.Close()
	if vs.sub.video != nil || vs.sub.audio == nil {
		t.Error("audio-only room: want an audio forwarder only")
	}
}
