package api

import (
	"sync"
	"time"
)

// limiter is a per-key fixed-window counter (per node): at most n events
// per key per window. Two maps are swapped each window, so memory stays
// bounded by the keys active in the last two windows.
type limiter struct {
	n      int
	window time.Duration

	mu    sync.Mutex
	start time.Time
	cur   map[string]int
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{n: n, window: window, start: time.Now(), cur: map[string]int{}}
}

// allow counts one event of key and reports whether it is within the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= l.window {
		l.start = now
		l.cur = make(map[string]int, len(l.cur))
	}
	c := l.cur[key]
	if c >= l.n {
		return false
	}
	l.cur[key] = c + 1
	return true
}
