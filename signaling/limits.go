package signaling

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limits of the signaling layer. Push keys carry 192 random bits, so
// the failure limit protects the store, not the keys.
const (
	failRate       = 5  // failed push-key or token checks per second per IP, sustained
	failBurst      = 20 // … and in a burst
	patchRate      = 10 // PATCH requests per second per session, sustained
	patchBurst     = 40
	maxFailClients = 10_000 // IPs tracked before the table is reset
	failRetryAfter = 2 * time.Second
)

// failLimiter counts failed authentications per client IP.
type failLimiter struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func newFailLimiter() *failLimiter { return &failLimiter{m: map[string]*rate.Limiter{}} }

// blocked reports whether ip has used up its failures.
func (f *failLimiter) blocked(ip string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.m[ip]
	return l != nil && l.Tokens() < 1
}

// fail records a failed attempt from ip.
func (f *failLimiter) fail(ip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.m[ip]
	if l == nil {
		if len(f.m) >= maxFailClients {
			f.m = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(failRate, failBurst)
		f.m[ip] = l
	}
	l.Allow()
}

func newPatchLimiter() *rate.Limiter { return rate.NewLimiter(patchRate, patchBurst) }
