package sfu

import (
	"sync/atomic"
	"time"
)

// pliInterval is the minimum time between two keyframe requests sent to a
// publisher for the same layer. Thousands of viewers joining in the same
// second produce at most one request per layer per interval.
const pliInterval = 500 * time.Millisecond

// pliThrottle coalesces keyframe requests for one layer.
type pliThrottle struct {
	last atomic.Int64 // unix nanoseconds of the last request sent
}

// allow reports whether a request may be sent at now, and if so records it.
// Safe for concurrent use.
func (t *pliThrottle) allow(now int64) bool {
	last := t.last.Load()
	if last != 0 && now-last < int64(pliInterval) {
		return false
	}
	return t.last.CompareAndSwap(last, now)
}
