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
		case f < 15: // the fan-out has fallen far behind
			send(f, false, 1200*time.Millisecond)
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

// TestShedOnlyWhenBehindForAWhile: a lag that drains within shedAfter (a
// stalled process catching up) sheds nothing; one that lasts sheds until
// a keyframe is handled in time.
func TestShedOnlyWhenBehindForAWhile(t *testing.T) {
	l, _ := benchRoom(t, 1)
	l.closed.Store(true) // no publisher session to send PLIs to
	const ms = int64(1e6)
	var s shedder
	step := func(at, lag int64, key bool) bool {
		info := pktInfo{keyframe: key}
		return s.drop(l, at-lag, at, &info)
	}
	t0 := int64(1e12)
	// A 300 ms stall, drained in 150 ms: nothing shed.
	for i := int64(0); i <= 15; i++ {
		if step(t0+i*10*ms, 300*ms-i*20*ms, false) {
			t.Fatalf("packet %d of a draining stall shed", i)
		}
	}
	// Behind by 150-250 ms for half a second: shed from shedAfter on.
	t1 := t0 + time.Second.Nanoseconds()
	var shedAt int64 = -1
	for i := int64(0); i < 50; i++ {
		if step(t1+i*10*ms, 150*ms+i*2*ms, false) && shedAt < 0 {
			shedAt = i * 10 * ms
		}
	}
	if shedAt != shedAfter {
		t.Errorf("started shedding %d ms into the lag, want %d", shedAt/ms, shedAfter/ms)
	}
	t2 := t1 + 500*ms
	if !step(t2, 10*ms, false) {
		t.Error("a packet in time but not a keyframe ended shedding")
	}
	if !step(t2+10*ms, 80*ms, true) {
		t.Error("a late keyframe ended shedding")
	}
	if step(t2+20*ms, 10*ms, true) {
		t.Error("a keyframe in time did not end shedding")
	}
	if step(t2+30*ms, 10*ms, false) {
		t.Error("shedding went on after the keyframe")
	}
}
