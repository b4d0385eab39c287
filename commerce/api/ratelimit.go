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

// logLimiter lets one log line per key through per interval and counts
// the ones it held back, so that a flood of refused requests cannot flood
// the log.
type logLimiter struct {
	every time.Duration

	mu   sync.Mutex
	last map[string]time.Time
	held map[string]int
}

func newLogLimiter(every time.Duration) *logLimiter {
	return &logLimiter{every: every, last: map[string]time.Time{}, held: map[string]int{}}
}

// allow reports whether a line for key may be logged at now and how many
// were held back since the last one.
func (l *logLimiter) allow(key string, now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, seen := l.last[key]; seen && now.Sub(last) < l.every {
		l.held[key]++
		return false, 0
	}
	if len(l.last) > 10_000 {
		l.last, l.held = map[string]time.Time{}, map[string]int{}
	}
	l.last[key] = now
	n := l.held[key]
	delete(l.held, key)
	return true, n
}
