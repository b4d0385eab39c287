package sfu

import (
	"sync/atomic"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// countWriter is a TrackLocalWriter that counts what it is given.
type countWriter struct{ n int }

func (w *countWriter) WriteRTP(_ *rtp.Header, payload []byte) (int, error) {
	w.n++
	return len(payload), nil
}

func (w *countWriter) Write(b []byte) (int, error) { w.n++; return len(b), nil }

// benchRelays is two edges' relays of layer q, bound to counting writers.
func benchRelays() ([]*relayOut, *layer, *countWriter) {
	w := &countWriter{}
	var relays []*relayOut
	for range 2 {
		dt := newRelayTrack(webrtc.RTPCodecTypeVideo, supportedVideo[0], relayTrackID(0, "q"), "s")
		dt.bound.Store(&binding{ssrc: 1, pt: 96, writer: w})
		relays = append(relays, &relayOut{video: []*relayVideo{{rid: "q", dt: dt, sent: new([historySize]atomic.Uint64)}}})
	}
	return relays, &layer{rid: "q"}, w
}

// Relaying a packet to the edges allocates nothing.
func TestRelayVideoPacketAllocs(t *testing.T) {
	relays, l, w := benchRelays()
	p := &rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 90}, Payload: make([]byte, 1000)}
	allocs := testing.AllocsPerRun(200, func() {
		p.SequenceNumber++
		relayVideoPacket(relays, l, p, int64(p.SequenceNumber))
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per relayed packet", allocs)
	}
	if w.n < 400 {
		t.Fatalf("wrote %d packets for 2 edges, want one per edge per packet", w.n)
	}
}

func BenchmarkRelayVideoPacket(b *testing.B) {
	relays, l, _ := benchRelays()
	p := &rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 90}, Payload: make([]byte, 1000)}
	b.ReportAllocs()
	for b.Loop() {
		p.SequenceNumber++
		relayVideoPacket(relays, l, p, int64(p.SequenceNumber))
	}
}
