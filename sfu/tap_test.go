package sfu

import (
	"testing"

	"github.com/pion/rtp"
)

// TestTapPutAllocatesNothing: handing a packet to a tap copies it into a
// pooled buffer and queues it without allocating; a full queue drops and
// counts instead of blocking.
func TestTapPutAllocatesNothing(t *testing.T) {
	tap := &Tap{ch: make(chan *TapPacket, 64)}
	p := &rtp.Packet{Header: rtp.Header{SequenceNumber: 7, Timestamp: 90000}, Payload: make([]byte, 1100)}
	for range 8 { // warm the pool
		tap.put(true, "video/VP8", 90000, "h", 1, false, true, p, 1)
		(<-tap.ch).Release()
	}
	allocs := testing.AllocsPerRun(1000, func() {
		tap.put(true, "video/VP8", 90000, "h", 1, false, true, p, 1)
		(<-tap.ch).Release()
	})
	if allocs != 0 {
		t.Errorf("put allocates %.1f times per packet", allocs)
	}
	for range 100 {
		tap.put(false, "audio/opus", 48000, "", 2, false, false, p, 1)
	}
	if len(tap.ch) != 64 || tap.Dropped() != 36 {
		t.Errorf("queue %d, dropped %d: want 64 queued and 36 dropped", len(tap.ch), tap.Dropped())
	}
	got := <-tap.ch
	if got.SequenceNumber != 7 || len(got.Payload) != 1100 || got.Video || got.ClockRate != 48000 {
		t.Errorf("queued packet %+v", got)
	}
}

// BenchmarkTapPut is the tap's cost per packet on the forwarding path when
// recording is on (the copy into a pooled buffer and the queue send).
func BenchmarkTapPut(b *testing.B) {
	tap := &Tap{ch: make(chan *TapPacket, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range tap.ch {
			p.Release()
		}
	}()
	p := &rtp.Packet{Header: rtp.Header{SequenceNumber: 7, Timestamp: 90000}, Payload: make([]byte, 1100)}
	b.ReportAllocs()
	for b.Loop() {
		tap.put(true, "video/VP8", 90000, "h", 1, false, false, p, 1)
	}
	close(tap.ch)
	<-done
}
