package bench

import (
	"testing"
	"time"
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
