package sfu

import (
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
	"github.com/pion/rtp"
)

// TestShedUntilTimelyKeyframe: a layer whose packets are handled late sheds
// them for every viewer alike, then resumes all of them on the first
// keyframe handled in time, with sequence numbers that continue without a
// gap (nothing to NACK) and timestamps that move on.
func TestShedUntilTimelyKeyframe(t *testing.T) {
	l, subs := benchRoom(t, 3)
	l.closed.Store(true) // no publisher session to send PLIs to in this room
	caps := make([]*captureWriter, len(subs))
	for i, s := range subs {
		caps[i] = &captureWriter{}
		b := *s.video.dt.bound.Load()
		b.writer = caps[i]
		s.video.dt.bound.Store(&b)
	}
	const frames = 30
	var seq uint16 = 500
	send := func(frame int, key bool, lag time.Duration) {
		for j := 0; j < 2; j++ {
			p := &rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(frame * 3000), Marker: j == 1},
				Payload: synth.AppendVP8(nil, key, j == 0, uint16(frame), uint8(frame), 600, synth.Tail{Frame: uint32(frame)}),
			}
			seq++
			l.handle(p, time.Now().Add(-lag).UnixNano())
		}
	}
	send(0, true, 0)
	for f := 1; f < frames; f++ {
		switch {
		case f < 10: // healthy
			send(f, false, time.Millisecond)
		case f < 15: // the fan-out has fallen behind
			send(f, false, 300*time.Millisecond)
		case f == 15: // a keyframe, still late: shedding goes on
			send(f, true, 100*time.Millisecond)
		case f < 20: // drained, but no keyframe yet
			send(f, false, time.Millisecond)
		case f == 20:
			send(f, true, time.Millisecond)
		default:
			send(f, false, time.Millisecond)
		}
	}
	if got := counterValue(l.pub.room.eng.metrics.shed); got != 2*10 {
		t.Errorf("shed %v packets, want %d (frames 10 to 19)", got, 2*10)
	}
	for i, c := range caps {
		if len(c.pkts) != 2*20 {
			t.Fatalf("viewer %d got %d packets, want %d (frames 0-9 and 20-29)", i, len(c.pkts), 2*20)
		}
		for k := 1; k < len(c.pkts); k++ {
			a, b := c.pkts[k-1], c.pkts[k]
			if b.SequenceNumber != a.SequenceNumber+1 {
				t.Fatalf("viewer %d: seq %d after %d", i, b.SequenceNumber, a.SequenceNumber)
			}
			if int32(b.Timestamp-a.Timestamp) < 0 {
				t.Fatalf("viewer %d: timestamp %d after %d", i, b.Timestamp, a.Timestamp)
			}
		}
		resumed, _ := synth.ParseTail(c.pkts[20].Payload)
		if resumed.Frame != 20 {
			t.Errorf("viewer %d resumed on frame %d, want the keyframe 20", i, resumed.Frame)
		}
		if vp, _ := synth.ParseVP8(c.pkts[20].Payload); !vp.Keyframe {
			t.Errorf("viewer %d resumed on a packet that is not a keyframe", i)
		}
	}
}
