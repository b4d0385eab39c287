package moderation

import (
	"sync"
	"time"
)

// Rate is a token-bucket setting: Per second, with a Burst.
type Rate struct {
	PerSecond float64
	Burst     float64
}

// Limiter keeps one token bucket per key (a user id or an IP address) at
// one Rate. Idle keys are forgotten, so memory follows active senders. Safe
// for concurrent use.
type Limiter struct {
	rate      Rate
	mu        sync.Mutex
	buckets   map[string]*Bucket
	lastSweep time.Time
}

// NewLimiter returns a limiter at rate. A rate of zero or less refuses everything.
func NewLimiter(rate Rate) *Limiter {
	if rate.Burst < 1 {
		rate.Burst = 1
	}
	return &Limiter{rate: rate, buckets: make(map[string]*Bucket)}
}

// Allow takes cost tokens from key's bucket at now.
func (l *Limiter) Allow(key string, now time.Time, cost float64) bool {
	if l.rate.PerSecond <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		nb := NewBucket(l.rate.PerSecond, l.rate.Burst, now)
		b = &nb
		l.buckets[key] = b
	}
	return b.Allow(now, cost)
}

// Len is the number of remembered keys.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweep forgets keys whose bucket refilled (they behave as new ones).
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.Full(now) {
			delete(l.buckets, k)
		}
	}
}
