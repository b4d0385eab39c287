package claim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// A node that crashed (killed, out of memory) leaves its room claims in
// Redis until their TTL runs out; an anchor whose encoder reconnects to
// another node within that time would be refused. Claim therefore asks a
// Prober about a holder other than this node: when the holder is
// demonstrably gone, the stale claim is replaced in one compare-and-set
// (stealScript), so a holder that refreshed meanwhile keeps its claim.
// Anything short of proof (a timeout, an error page, a slow answer) counts
// as alive, and the claim is waited out as before. A node restarted at its
// own URL takes over its previous incarnation's claims the same way.

// Prober reports whether the node that holds a claim is demonstrably gone.
// It must answer false whenever it is unsure.
type Prober func(ctx context.Context, holder Owner) (gone bool)

// DefaultProbeTimeout bounds one HTTPProbe.
const DefaultProbeTimeout = time.Second

// HTTPProbe is the Prober of livesell nodes: the holder is gone when a
// connection to its public URL is refused (nothing listens at its address,
// as after a crash on a machine that is up) on GET /healthz within timeout
// (0 means DefaultProbeTimeout). An answer of any kind, a timeout, or a
// host that cannot be reached means it may be alive.
func HTTPProbe(timeout time.Duration) Prober {
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:       (&net.Dialer{Timeout: timeout}).DialContext,
			DisableKeepAlives: true, // a fresh connection each time: a refused one is the proof
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return func(ctx context.Context, holder Owner) bool {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, holder.URL+"/healthz", nil)
		if err != nil {
			return false
		}
		resp, err := client.Do(req)
		if err != nil {
			return errors.Is(err, syscall.ECONNREFUSED)
		}
		resp.Body.Close()
		return false
	}
}

// stealScript replaces a claim whose value is still the gone holder's
// (ARGV[1]) with ours (ARGV[2], TTL ARGV[3] ms); an absent claim or ours is
// taken as by takeScript. It returns the value in place afterwards: a claim
// that changed hands since the probe (a third node was faster) is kept.
var stealScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] or v == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return ARGV[2]
end
return v
`)

// holderGone reports whether the node whose stored claim value is holder
// is demonstrably gone: another process at this node's own URL is its
// previous incarnation (this process serves that URL now), any other is
// asked to the Prober. It runs without c.mu: the probe may take its whole
// timeout. An unreadable value, or no Prober: not gone.
func (c *Claims) holderGone(ctx context.Context, holder string) bool {
	if c.probe == nil {
		return false
	}
	o, err := ParseOwner(holder)
	if err != nil || o.NodeID == c.self.NodeID {
		return false
	}
	if o.URL == c.self.URL {
		return true
	}
	return c.probe(ctx, o)
}
