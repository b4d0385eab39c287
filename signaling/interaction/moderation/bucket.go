package moderation

import "time"

// Bucket is a token bucket: it holds up to Burst tokens and refills at Rate
// tokens per second. The zero value is empty; use NewBucket. Not safe for
// concurrent use (Limiter guards its buckets).
type Bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewBucket returns a full bucket.
func NewBucket(rate, burst float64, now time.Time) Bucket {
	return Bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// Allow takes cost tokens if the bucket has them at now.
func (b *Bucket) Allow(now time.Time, cost float64) bool {
	b.refill(now)
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// Full reports whether the bucket is full at now (its owner was idle).
func (b *Bucket) Full(now time.Time) bool {
	b.refill(now)
	return b.tokens >= b.burst
}

// RetryAfter is how long until cost tokens are there.
func (b *Bucket) RetryAfter(now time.Time, cost float64) time.Duration {
	b.refill(now)
	if b.tokens >= cost || b.rate <= 0 {
		return 0
	}
	return time.Duration((cost - b.tokens) / b.rate * float64(time.Second))
}

func (b *Bucket) refill(now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens += el.Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
}
