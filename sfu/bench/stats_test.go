package bench

import (
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// TestBuckets: every delay falls in a bucket whose top is at or above it
// and within one bucket width of it, up to the 12 s ceiling.
func TestBuckets(t *testing.T) {
	for _, tt := range []struct {
		d     time.Duration
		width time.Duration
	}{
		{0, fineWidth}, {30 * time.Microsecond, fineWidth}, {49 * time.Millisecond, fineWidth},
		{50 * time.Millisecond, coarseWidth}, {629 * time.Millisecond, coarseWidth}, {1999 * time.Millisecond, coarseWidth},
		{2 * time.Second, wideWidth}, {2400 * time.Millisecond, wideWidth}, {11990 * time.Millisecond, wideWidth},
	} {
		top := bucketTop(bucketOf(tt.d))
		if top <= tt.d || top-tt.d > tt.width {
			t.Errorf("delay %v: bucket top %v, want within (%v, %v]", tt.d, top, tt.d, tt.d+tt.width)
		}
	}
	if got := bucketOf(time.Minute); got != buckets {
		t.Errorf("a minute falls in bucket %d, want the overflow bucket %d", got, buckets)
	}
}

// TestFramesCountedOnce: a frame's last packet that arrives twice (sent
// again after a NACK) counts once as delivered and once in the delay
// histogram; packets sent outside the window count not at all.
func TestFramesCountedOnce(t *testing.T) {
	var s viewerStats
	s.liveNs = 1
	s.counting = true
	s.sendFrom, s.sendTo, s.lastIdx = 1000, 2000, 3
	last := func(frame uint32, sent int64) synth.Packet {
		return synth.Packet{TailOK: true, Tail: synth.Tail{Frame: frame, Packet: 3, SentNs: sent}, ArrivalNs: sent + 500}
	}
	for _, p := range []synth.Packet{last(1, 1100), last(1, 1100), last(2, 1200), last(3, 2500), last(0, 900)} {
		s.onVideo(p)
	}
	if s.frames != 2 {
		t.Errorf("frames = %d, want 2 (1 and 2; the repeat and the packets outside the window not counted)", s.frames)
	}
	var n uint32
	for _, c := range s.hist {
		n += c
	}
	if n != 2 {
		t.Errorf("delay samples = %d, want 2", n)
	}
}
