package signaling

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// Defaults of AdmissionLimits.
const (
	defaultSessionRate        = 5
	defaultSessionBurst       = 20
	defaultSessionsPerAddress = 50
	defaultMaxAdmissionAddrs  = 10_000
)

// AdmissionLimits bound the sessions one client address can make a node
// hold: every WHIP or WHEP offer costs a PeerConnection, its goroutines and
// ICE gathering before anyone knows whether the client will connect.
// Addresses are the client's as auth.ClientAddr finds it (trusted proxies'
// X-Forwarded-For), IPv6 by /64. Direct loopback peers — this host's
// reverse proxy without trusted-proxies, and the load tools — are exempt.
type AdmissionLimits struct {
	// Rate offers per second per address, sustained (default 5), with
	// Burst (default 20). Beyond: 429 rate_limited with Retry-After.
	Rate  float64
	Burst int
	// Concurrent sessions one address may hold open (default 50). Beyond:
	// 429 too_many_connections with Retry-After.
	Concurrent int
	// MaxAddresses tracked at once (default 10,000).
	MaxAddresses int
}

func (l AdmissionLimits) withDefaults() AdmissionLimits {
	if l.Rate <= 0 {
		l.Rate = defaultSessionRate
	}
	if l.Burst <= 0 {
		l.Burst = defaultSessionBurst
	}
	if l.Concurrent <= 0 {
		l.Concurrent = defaultSessionsPerAddress
	}
	if l.MaxAddresses <= 0 {
		l.MaxAddresses = defaultMaxAdmissionAddrs
	}
	return l
}

// admission applies AdmissionLimits to one kind of session (WHIP and WHEP
// each have their own, so that viewers behind the anchor's NAT cannot use
// up the anchor's budget).
type admission struct {
	lim AdmissionLimits
	now func() time.Time

	mu sync.Mutex
	m  map[netip.Prefix]*admitted
}

type admitted struct {
	l      *rate.Limiter
	active int
	last   time.Time
}

func newAdmission(lim AdmissionLimits) *admission {
	return &admission{lim: lim.withDefaults(), now: time.Now, m: map[netip.Prefix]*admitted{}}
}

// admit lets the request's client open one more session, or answers 429.
// The returned release gives the slot back (call it once, when the session
// ends or was never made).
func (a *admission) admit(c *fiber.Ctx) (release func(), err error) {
	if auth.IsLoopback(c) {
		return func() {}, nil
	}
	return a.admitAddr(auth.ClientAddr(c))
}

func (a *admission) admitAddr(addr netip.Addr) (release func(), err error) {
	key := admissionKey(addr)
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.m[key]
	if e == nil {
		if len(a.m) >= a.lim.MaxAddresses {
			a.forget(now)
		}
		e = &admitted{l: rate.NewLimiter(rate.Limit(a.lim.Rate), a.lim.Burst)}
		a.m[key] = e
	}
	e.last = now
	if e.active >= a.lim.Concurrent {
		return nil, apierr.E(apierr.CodeTooManyConnections, "this address holds %d sessions already; close one first", e.active)
	}
	r := e.l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return nil, apierr.E(apierr.CodeRateLimited, "too many offers from this address; retry in %s", retrySeconds(d)).WithRetryAfter(retrySeconds(d))
	}
	e.active++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			e.active--
			a.mu.Unlock()
		})
	}, nil
}

// forget drops idle addresses whose budget has refilled (a.mu held); if
// none can go, the table starts over for the addresses without sessions.
func (a *admission) forget(now time.Time) {
	full := time.Duration(float64(a.lim.Burst) / a.lim.Rate * float64(time.Second))
	for k, e := range a.m {
		if e.active == 0 && now.Sub(e.last) > full {
			delete(a.m, k)
		}
	}
	if len(a.m) >= a.lim.MaxAddresses {
		for k, e := range a.m {
			if e.active == 0 {
				delete(a.m, k)
			}
		}
	}
}

// admissionKey is the address, or its /64 for IPv6.
func admissionKey(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p
	}
	return netip.PrefixFrom(addr, addr.BitLen())
}

// retrySeconds rounds a wait up to whole seconds, as Retry-After carries.
func retrySeconds(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(d.Seconds())) * time.Second
}
