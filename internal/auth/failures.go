package auth

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// FailureLimits bound failed credential checks. Push keys carry 192 random
// bits and the admin token 256, so the limits protect the stores and the
// logs from floods of guesses rather than the secrets themselves.
type FailureLimits struct {
	// PerAddress failures per second from one address (an IPv6 /64),
	// sustained (default 5), with Burst (default 20).
	PerAddress rate.Limit
	Burst      int
	// Node failures per second from all addresses together (default 200),
	// with NodeBurst (default 400): a guesser rotating addresses.
	Node      rate.Limit
	NodeBurst int
	// MaxAddresses tracked at once (default 10,000).
	MaxAddresses int
}

func (l FailureLimits) withDefaults() FailureLimits {
	if l.PerAddress <= 0 {
		l.PerAddress = 5
	}
	if l.Burst <= 0 {
		l.Burst = 20
	}
	if l.Node <= 0 {
		l.Node = 200
	}
	if l.NodeBurst <= 0 {
		l.NodeBurst = 400
	}
	if l.MaxAddresses <= 0 {
		l.MaxAddresses = 10_000
	}
	return l
}

// FailureLimiter counts failed attempts per client address and per node.
// It is asked only after a credential failed, so it can never refuse a
// correct one.
type FailureLimiter struct {
	lim  FailureLimits
	now  func() time.Time
	node *rate.Limiter

	mu sync.Mutex
	m  map[netip.Prefix]*addrFailures
}

type addrFailures struct {
	l    *rate.Limiter
	last time.Time
}

// NewFailureLimiter returns a limiter with lim (zero fields: defaults).
func NewFailureLimiter(lim FailureLimits) *FailureLimiter {
	lim = lim.withDefaults()
	return &FailureLimiter{lim: lim, now: time.Now, node: rate.NewLimiter(lim.Node, lim.NodeBurst), m: map[netip.Prefix]*addrFailures{}}
}

// Fail records one failed attempt from addr. ok is false when addr or the
// node is over budget; retry is how long until the next attempt would fit.
func (f *FailureLimiter) Fail(addr netip.Addr) (ok bool, retry time.Duration) {
	now := f.now()
	key := addrKey(addr)
	f.mu.Lock()
	a := f.m[key]
	if a == nil {
		if len(f.m) >= f.lim.MaxAddresses {
			f.forget(now)
		}
		a = &addrFailures{l: rate.NewLimiter(f.lim.PerAddress, f.lim.Burst)}
		f.m[key] = a
	}
	a.last = now
	r := a.l.ReserveN(now, 1)
	f.mu.Unlock()
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // an over-budget failure does not extend its own sentence
		return false, d
	}
	nr := f.node.ReserveN(now, 1)
	if d := nr.DelayFrom(now); d > 0 {
		nr.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forget drops the addresses whose budget has refilled (f.mu held): they
// are as good as new. If every address is still busy, the table starts
// over; the node limit still holds.
func (f *FailureLimiter) forget(now time.Time) {
	full := time.Duration(float64(f.lim.Burst) / float64(f.lim.PerAddress) * float64(time.Second))
	for k, a := range f.m {
		if now.Sub(a.last) > full {
			delete(f.m, k)
		}
	}
	if len(f.m) >= f.lim.MaxAddresses {
		clear(f.m)
	}
}

// addrKey is the limiter's key for addr: the address, or its /64 for IPv6
// (one host usually holds a whole /64).
func addrKey(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p
	}
	p, _ := addr.Prefix(addr.BitLen())
	return p
}
