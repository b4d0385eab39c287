package sfu

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/livesell/livesell/sfu/synth"
)

// startSource makes edge a source of room fed by origin's relay, as the
// signaling layer does over HTTP.
func startSource(t *testing.T, origin, edge *Engine, room string) *Session {
	t.Helper()
	s, err := edge.Source(testCtx(t), SourceRequest{Room: room, Dial: func(ctx context.Context, offer string) (string, error) {
		rs, err := origin.Relay(ctx, RelayRequest{Room: room, OfferSDP: offer})
		if err != nil {
			return "", err
		}
		return rs.AnswerSDP(), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestParseRelayTrackID(t *testing.T) {
	cases := []struct {
		id   string
		rank int
		rid  string
		ok   bool
	}{
		{relayTrackID(0, "q"), 0, "q", true},
		{relayTrackID(2, "f"), 2, "f", true},
		{relayTrackID(0, ""), 0, "", true},
		{"relay-v-9-x", 0, "", false},
		{"relay-v-x", 0, "", false},
		{"video", 0, "", false},
		{"relay-v-01-q", 0, "", false},
		{"relay-v-+1-q", 0, "", false},
	}
	for _, c := range cases {
		rank, rid, ok := parseRelayTrackID(c.id)
		if rank != c.rank || rid != c.rid || ok != c.ok {
			t.Errorf("%q: got %d %q %v", c.id, rank, rid, ok)
		}
	}
}

// Viewers of an edge get the layer they ask for from the origin's relay,
// with a keyframe at start and continuous sequence numbers across a
// switch; the origin forwards once per edge, whatever the edge's viewers.
func TestCascadeEdgeViewers(t *testing.T) {
	origin := newTestEngine(t, Config{})
	edge := newTestEngine(t, Config{})
	startPublisher(t, origin, "r1", simulcast)
	src := startSource(t, origin, edge, "r1")
	waitFor(t, 10*time.Second, "edge layers", func() bool { return len(src.pub.layerList()) == 3 })
	if !edge.RoomLive("r1") {
		t.Fatal("edge room not live")
	}

	cases := []struct {
		layer string
		want  uint8
	}{{"q", 0}, {"f", 2}, {"mid", 1}}
	viewers := make([]*synth.Viewer, len(cases))
	sessions := make([]*Session, len(cases))
	for i, c := range cases {
		viewers[i], sessions[i] = startViewer(t, edge, "r1", c.layer)
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

	// A switch on the edge: q -> f, seamless.
	v := viewers[0]
	if err := sessions[0].SetLayer("f"); err != nil {
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
	waitFor(t, 5*time.Second, "high layer after switch", func() bool { return hasF() >= 0 })
	first := hasF()
	waitFor(t, 5*time.Second, "more packets", func() bool { return len(v.Packets()) > first+20 })
	pkts := v.Packets()
	checkStream(t, pkts)
	if !pkts[first].VP8.Keyframe {
		t.Errorf("first packet after the switch is not a keyframe")
	}

	// The origin's forwarding depends on edges, not viewers: it has no
	// viewer, every packet it sends goes over the one relay, about once per
	// packet it receives; the edge sends about once per packet per viewer.

	st := origin.RelayStats()
	if st.Links != 1 || edge.RelayStats().Sources != 1 {
		t.Fatalf("links %d sources %d, want 1 and 1", st.Links, edge.RelayStats().Sources)
	}
	in0, out0 := counterValue(origin.metrics.packetsIn), origin.PacketsOut()
	rel0 := st.PacketsOut
	eOut0 := edge.PacketsOut()
	waitFor(t, 10*time.Second, "500 packets in", func() bool { return counterValue(origin.metrics.packetsIn)-in0 >= 500 })
	in := counterValue(origin.metrics.packetsIn) - in0
	out := float64(origin.PacketsOut() - out0)
	rel := float64(origin.RelayStats().PacketsOut - rel0)
	if out != rel {
		t.Errorf("origin forwarded %v packets, %v of them relayed: it should send to no viewer", out, rel)
	}
	if r := out / in; r < 0.8 || r > 1.2 {
		t.Errorf("origin sent %.2f packets per packet received, want about 1 (one edge)", r)
	}
	if eOut := float64(edge.PacketsOut() - eOut0); eOut <= out {
		t.Errorf("edge sent %v packets for 3 viewers, origin %v for one edge: want more on the edge", eOut, out)
	}
}

// An edge whose link to the origin breaks keeps its viewers: a new link
// resumes them with continuous sequence numbers.
func TestCascadeLinkLossKeepsViewers(t *testing.T) {
	origin := newTestEngine(t, Config{})
	edge := newTestEngine(t, Config{})
	startPublisher(t, origin, "r1", simulcast)
	src := startSource(t, origin, edge, "r1")
	waitFor(t, 10*time.Second, "edge layers", func() bool { return len(src.pub.layerList()) == 3 })
	v, vs := startViewer(t, edge, "r1", "h")
	waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 30 })

	_ = src.Close()
	waitFor(t, 5*time.Second, "origin relay gone", func() bool { return origin.RelayStats().Links == 0 })
	n := len(v.Packets())
	src2 := startSource(t, origin, edge, "r1")
	waitFor(t, 10*time.Second, "edge layers again", func() bool { return len(src2.pub.layerList()) == 3 })
	waitFor(t, 10*time.Second, "packets after relink", func() bool { return len(v.Packets()) >= n+30 })
	select {
	case <-vs.Done():
		t.Fatal("viewer session ended with the link")
	default:
	}
	checkStream(t, v.Packets())
	// While the new link's layers arrive one by one, the pinned viewer may
	// be given the only layer there is; once "h" is back it is on "h" again.
	waitFor(t, 10*time.Second, "the pinned layer after relink", func() bool {
		ps := v.Packets()
		if len(ps) < 20 {
			return false
		}
		for _, p := range ps[len(ps)-20:] {
			if p.Tail.Layer != 1 {
				return false
			}
		}
		return true
	})
	for _, p := range v.Packets()[:n] {
		if p.Tail.Layer != 1 {
			t.Fatalf("packet of layer %d before the link broke, want 1", p.Tail.Layer)
		}
	}
}

// The origin answers an edge's NACK from the layer's history, with the
// packet as first relayed.
func TestCascadeNACKServedByOrigin(t *testing.T) {
	origin := newTestEngine(t, Config{})
	edge := newTestEngine(t, Config{})
	startPublisher(t, origin, "r1", simulcast)
	src := startSource(t, origin, edge, "r1")
	waitFor(t, 10*time.Second, "edge layers", func() bool { return len(src.pub.layerList()) == 3 })
	var rv *relayVideo
	waitFor(t, 5*time.Second, "relay", func() bool {
		origin.mu.Lock()
		rm := origin.rooms["r1"]
		origin.mu.Unlock()
		if p := rm.relays.list.Load(); p != nil && len(*p) == 1 {
			for _, v := range (*p)[0].video {
				if v.rid == "q" {
					rv = v
				}
			}
		}
		return rv != nil
	})
	var seq uint16
	waitFor(t, 5*time.Second, "a relayed packet", func() bool {
		for i := range rv.sent {
			if v := rv.sent[i].Load(); v != 0 {
				seq = uint16(v >> 48)
				return true
			}
		}
		return false
	})
	var edgeQ *layer
	for _, l := range src.pub.layerList() {
		if l.rid == "q" {
			edgeQ = l
		}
	}
	if b := rv.dt.bound.Load(); b == nil || b.rtxSSRC == 0 {
		t.Fatalf("relay track bound without RTX: %+v", b)
	}
	before := counterValue(origin.metrics.retransmits)
	nack := &rtcp.TransportLayerNack{MediaSSRC: edgeQ.ssrc, Nacks: []rtcp.NackPair{{PacketID: seq}}}
	if err := src.pc.WriteRTCP([]rtcp.Packet{nack}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "retransmission at the origin", func() bool { return counterValue(origin.metrics.retransmits) > before })
}

func FuzzParseRelayTrackID(f *testing.F) {
	for _, s := range []string{relayTrackID(0, "q"), relayTrackID(3, ""), "relay-v-", "relay-v--", "relay-v-99-x", "relay-a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		rank, rid, ok := parseRelayTrackID(id)
		if ok && (rank < 0 || rank >= maxRelayLayers || relayTrackID(rank, rid) != id) {
			t.Fatalf("%q: rank %d rid %q", id, rank, rid)
		}
	})
}

// FuzzRelayAnswer: an origin's answer is parsed for its codec and tracks
// without panicking, whatever it holds.
func FuzzRelayAnswer(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\na=msid:s relay-v-0-q\r\na=rtpmap:96 VP8/90000\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, answer string) {
		c, err := relayedCodec(answer)
		if err == nil && c.MimeType != "" && kindOfMime(c.MimeType) == codecOpus {
			t.Fatalf("audio codec %s as the video codec", c.MimeType)
		}
		if n := relayedTracks(answer); n < 0 {
			t.Fatal(n)
		}
	})
}
