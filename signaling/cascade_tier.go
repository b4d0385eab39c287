package signaling

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// Tiers of the cascade. A node with an upstream (CascadeOptions.Upstream, a
// regional edge) links to it for a room published elsewhere instead of to
// the room's origin. A node asked to relay a room it does not have (it is
// a regional edge) first becomes an edge for the room itself — linking to
// its own upstream, or the origin — and then answers from its source; the
// relay sessions it feeds count as viewers for its link's linger.
//
// Every relay request carries its hop count (RelayDepthHeader): 1 from an
// edge with viewers, one more for each regional edge it passed. A node
// refuses a request whose chain, with the link it would have to make
// itself, exceeds MaxDepth (relay_too_deep, 508); a request for a room
// whose own link is still being made at a lower depth is refused at once
// (relay_unavailable), which is how a loop of upstreams (A upstream of B,
// B of A) ends: the dialer falls back to the origin. Answers say the
// answering node's tier for the room (RelayTierHeader: 0 the origin), so
// each edge knows, and shows, its own.

const (
	// RelayDepthHeader carries a relay request's hop count.
	RelayDepthHeader = "Livesell-Relay-Depth"
	// RelayTierHeader carries, on a relay answer, the answering node's
	// tier for the room (0: the room's origin).
	RelayTierHeader = "Livesell-Relay-Tier"
	// RelayNodeHeader carries the public URL of the node that sends it, on
	// a relay request and its answer: a node refuses to feed the node its
	// own link comes from (two upstreams of each other).
	RelayNodeHeader = "Livesell-Relay-Node"
	// maxRelayDepthValue bounds the header's value, whatever MaxDepth.
	maxRelayDepthValue = 64
	// upstreamTries is how many attempts in a row an edge makes through its
	// upstream before it links to the origin directly.
	upstreamTries = 1
)

// Where a link goes.
const (
	viaOrigin   = "origin"
	viaUpstream = "upstream"
)

func (o *CascadeOptions) tierDefaults() {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 3
	}
	if o.UpstreamRetry <= 0 {
		o.UpstreamRetry = 30 * time.Second
	}
}

// relayDepth parses a relay request's hop count (absent: 1).
func relayDepth(v string) (int, error) {
	if v == "" {
		return 1, nil
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < 1 || d > maxRelayDepthValue || strconv.Itoa(d) != v {
		return 0, apierr.New(apierr.CodeInvalidRelayDepth)
	}
	return d, nil
}

// relayTier parses an answer's tier (absent or bad: 0, an origin of an
// older node).
func relayTier(v string) int {
	t, err := strconv.Atoi(v)
	if err != nil || t < 0 || t > maxRelayDepthValue {
		return 0
	}
	return t
}

// admitRelay checks a relay request of hop count depth for roomID and, when
// the room is not live here, makes this node an edge for it (a regional
// edge): its link dials with depth+1. It fails when the chain would be too
// deep, or when the link could not be made.
func (e *edges) admitRelay(roomID string, depth int, from string) error {
	maxDepth := e.s.opt.Cascade.MaxDepth
	if depth > maxDepth {
		return apierr.E(apierr.CodeRelayTooDeep, "this relay request has come %d links deep; cascade-max-depth is %d", depth, maxDepth)
	}
	if from != "" && from == e.s.opt.PublicURL {
		return apierr.E(apierr.CodeRelayTooDeep, "this node is its own upstream")
	}
	e.mu.Lock()
	l := e.links[roomID]
	e.mu.Unlock()
	pending, loop := false, false
	if l != nil {
		l.mu.Lock()
		// A request that passed a regional edge already, for a room whose
		// own link is being made at a lower depth, may come from that very
		// link's chain: refused at once rather than both waiting.
		pending = !l.up && depth > 1 && l.depth < depth+1
		loop = l.up && from != "" && l.feeder == from
		l.depth = max(l.depth, depth+1)
		l.mu.Unlock()
	}
	if loop {
		return apierr.E(apierr.CodeRelayTooDeep, "this node relays the room from the node asking for it (upstreams in a loop)")
	}
	if e.s.opt.Engine.RoomLive(roomID) || !e.enabled() {
		return nil // answered from here, or not_live
	}
	if depth+1 > maxDepth {
		return apierr.E(apierr.CodeRelayTooDeep, "this node would link for the room %d links deep; cascade-max-depth is %d", depth+1, maxDepth)
	}
	if pending {
		return apierr.E(apierr.CodeRelayUnavailable, "this node's own link for the room is being made (upstreams in a loop?); link elsewhere")
	}
	if l == nil {
		if origin, err := e.origin(roomID); err != nil || origin == "" {
			return nil // off air: not_live
		}
	}
	e.ensureAt(roomID, depth+1)
	if !e.s.opt.Engine.RoomLive(roomID) {
		return apierr.E(apierr.CodeRelayUnavailable, "this node could not link for the room in time")
	}
	return nil
}

// tier returns this node's tier for roomID: its link's when it relays the
// room, else 0 (the origin).
func (e *edges) tier(roomID string) int {
	e.mu.Lock()
	l := e.links[roomID]
	e.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up {
		return 0
	}
	return l.tier
}

// relaying counts the relay sessions this node feeds for roomID (its
// downstream edges), added with n = 1 and removed with n = -1.
func (e *edges) relaying(roomID string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.relays[roomID] += n
	if e.relays[roomID] <= 0 {
		delete(e.relays, roomID)
	}
}

// target returns where l's next attempt goes: the upstream, unless it
// failed upstreamTries times in a row (then the origin, until the
// upstream answers again).
func (e *edges) target(origin string, upFails int) (string, string) {
	if up := e.s.opt.Cascade.Upstream; up != "" && upFails < upstreamTries {
		return up, viaUpstream
	}
	return origin, viaOrigin
}

// upstreamAnswers reports whether the upstream's /healthz answers: a link
// that fell back to the origin then goes back to it.
func (e *edges) upstreamAnswers() bool {
	ctx, cancel := context.WithTimeout(e.s.ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.s.opt.Cascade.Upstream+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// depthTier returns the deepest tier among this node's links now (0: it
// relays no room), and how many of them go through the upstream.
func (e *edges) depthTier() (deepest, viaUp int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.links {
		l.mu.Lock()
		if l.up {
			deepest = max(deepest, l.tier)
			if l.via == viaUpstream {
				viaUp++
			}
		}
		l.mu.Unlock()
	}
	return deepest, viaUp
}
