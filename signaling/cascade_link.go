package signaling

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livesell/livesell/sfu"
)

// edges keeps this node's links to the origins of the rooms it relays: one
// link per room, whatever the number of viewers here.
type edges struct {
	s          *Service
	client     *http.Client
	mu         sync.Mutex
	links      map[string]*link
	relays     map[string]int // relay sessions this node feeds, by room (cascade_tier.go)
	attempts   atomic.Int64   // link attempts, for the metrics
	reconnects atomic.Int64   // links made again after one ended
	fallbacks  atomic.Int64   // links made to the origin because the upstream failed
}

// link is the edge side of one room's cascade: a goroutine that keeps a
// source session to the room's current origin.
type link struct {
	room string
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	up      bool
	changed chan struct{} // closed and replaced on every up/down/failure
	depth   int           // the hop count it dials with (cascade_tier.go)
	tier    int           // while up: 1 linked to the origin, one more per regional edge
	via     string        // while up: viaOrigin or viaUpstream
	feeder  string        // while up: the public URL of the node it is linked to
}

func newEdges(s *Service) *edges {
	return &edges{
		s:      s,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		links:  map[string]*link{},
		relays: map[string]int{},
	}
}

// enabled reports whether this node links to origins.
func (e *edges) enabled() bool {
	o := e.s.opt
	return o.Cascade.Enabled && o.Cascade.NodeSecret != "" && o.Owners != nil && relayEndpoint{e.s}.relayEngine() != nil
}

// ensure makes this node a source of roomID when its publisher is on
// another node, waiting up to JoinWait for the link. Afterwards the room is
// live here (Engine.RoomLive) or the caller falls back to the redirect.
func (e *edges) ensure(roomID string) { e.ensureAt(roomID, 1) }

// ensureAt is ensure for a link that dials with hop count depth (more than
// 1 when this node links on behalf of edges below it).
func (e *edges) ensureAt(roomID string, depth int) {
	if !e.enabled() || e.s.opt.Engine.RoomLive(roomID) {
		return
	}
	e.mu.Lock()
	_, linked := e.links[roomID]
	e.mu.Unlock()
	if !linked {
		// No origin elsewhere (the room is off air, or published here): no
		// link to start, the request goes on at once.
		if origin, err := e.origin(roomID); err != nil || origin == "" {
			return
		}
	}
	l := e.linkFor(roomID, depth)
	if l == nil {
		return
	}
	deadline := time.NewTimer(e.s.opt.Cascade.JoinWait)
	defer deadline.Stop()
	// Wait for the link, or for two failed attempts: then redirect.
	for changes := 0; changes < 2; {
		l.mu.Lock()
		up, ch := l.up, l.changed
		l.mu.Unlock()
		if up {
			return
		}
		select {
		case <-ch:
			changes++
		case <-l.done:
			return
		case <-deadline.C:
			return
		case <-e.s.stop:
			return
		}
	}
}

// linkFor returns roomID's link, starting it with hop count depth; nil once
// the service closes.
func (e *edges) linkFor(roomID string, depth int) *link {
	e.s.closeMu.Lock()
	defer e.s.closeMu.Unlock()
	if e.s.closed {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if l := e.links[roomID]; l != nil {
		return l
	}
	l := &link{room: roomID, stop: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{}), depth: depth}
	e.links[roomID] = l
	e.s.wg.Add(1)
	go func() {
		defer e.s.wg.Done()
		defer close(l.done)
		e.run(l)
		e.mu.Lock()
		if e.links[roomID] == l {
			delete(e.links, roomID)
		}
		e.mu.Unlock()
	}()
	return l
}

// yield ends roomID's link, if any, and waits for it: a publisher is about
// to publish the room on this node.
func (e *edges) yield(roomID string) {
	e.mu.Lock()
	l := e.links[roomID]
	if l != nil {
		delete(e.links, roomID)
	}
	e.mu.Unlock()
	if l == nil {
		return
	}
	close(l.stop)
	<-l.done
}

// count returns how many rooms this node relays now.
func (e *edges) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, l := range e.links {
		l.mu.Lock()
		if l.up {
			n++
		}
		l.mu.Unlock()
	}
	return n
}

// setUp marks l up, linked via via to the node that gave ans.
func (l *link) setUp(ans relayAnswer, via string) {
	l.mu.Lock()
	l.tier, l.via, l.feeder = min(ans.tier+1, maxRelayDepthValue), via, ans.node
	l.mu.Unlock()
	l.set(true)
}

func (l *link) set(up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.up = up
	close(l.changed)
	l.changed = make(chan struct{})
}

// viewers returns how many WHEP sessions of the room this node has, and
// relay sessions (edges below it): what keeps its link.
func (e *edges) viewers(roomID string) int {
	e.mu.Lock()
	n := e.relays[roomID]
	e.mu.Unlock()
	for _, r := range e.s.sessions.inRoom(roomID) {
		if r.kind == kindWHEP {
			n++
		}
	}
	return n
}

// run keeps l's room linked until l is stopped, the service closes, or
// the room has had no viewer (nor downstream edge) here for Linger. It
// links through the upstream when there is one, and to the room's origin
// when there is none or the upstream failed (then it goes back to the
// upstream once it answers again, after UpstreamRetry). A link that ends
// (the link broke, the publisher left) is made again with backoff; linked
// to the origin, a change of the room's claim (the anchor republished on
// another node) moves the link there. Viewers keep their sessions
// throughout.
func (e *edges) run(l *link) {
	opt := e.s.opt.Cascade
	backoff := opt.BackoffMin
	idleSince := time.Now()
	linked := false
	upFails := 0 // failed attempts through the upstream in a row
	for {
		if e.viewers(l.room) > 0 {
			idleSince = time.Now()
		} else if time.Since(idleSince) > opt.Linger {
			return
		}
		origin, err := e.origin(l.room)
		if err == nil && origin != "" {
			target, via := e.target(origin, upFails)
			e.attempts.Add(1)
			var sess MediaSession
			var ans relayAnswer
			sess, ans, err = e.connect(l, target)
			if err == nil {
				if linked {
					e.reconnects.Add(1)
				}
				if via == viaOrigin && opt.Upstream != "" {
					e.fallbacks.Add(1)
				}
				linked = true
				backoff = opt.BackoffMin
				l.setUp(ans, via)
				e.s.log.Info("cascade link up", "room", l.room, "via", via, "to", target, "tier", ans.tier+1)
				stopped, retry := e.hold(l, sess, origin, via, &idleSince)
				sess.Close()
				l.set(false)
				e.withdraw(l.room)
				if stopped {
					return
				}
				if retry {
					upFails = 0
					e.s.log.Info("cascade upstream answers again; moving the link back to it", "room", l.room, "upstream", opt.Upstream)
				} else {
					e.s.log.Info("cascade link down; relinking", "room", l.room, "via", via)
				}
				continue
			}
			if via == viaUpstream {
				upFails++
				e.s.log.Warn("cascade upstream link failed; the next attempt goes to the origin", "room", l.room, "upstream", target, "err", err)
				continue // at once: the viewers wait
			}
			upFails = 0 // the next attempt tries the upstream again
			e.s.log.Warn("cascade link failed", "room", l.room, "origin", target, "err", err)
		}
		l.set(false)
		wait := backoff
		if err == nil && origin == "" {
			// No origin now (the anchor is away, its node may have died):
			// its return is a claim appearing, looked for again soon
			// rather than backed off from.
			wait = opt.BackoffMin
		} else {
			backoff = min(2*backoff, opt.BackoffMax)
		}
		select {
		case <-l.stop:
			return
		case <-e.s.stop:
			return
		case <-time.After(wait):
		}
	}
}

// hold watches a linked session until it ends, the link through the
// origin must move (the room's origin changed; the upstream answers again
// after a fallback: retry), or the link must stop (stopped).
func (e *edges) hold(l *link, sess MediaSession, origin, via string, idleSince *time.Time) (stopped, retry bool) {
	opt := e.s.opt.Cascade
	e.announce(l.room)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastAnnounce := time.Now()
	since := time.Now()
	for {
		select {
		case <-l.stop:
			return true, false
		case <-e.s.stop:
			return true, false
		case <-sess.Done():
			return false, false
		case <-tick.C:
			if e.viewers(l.room) > 0 {
				*idleSince = time.Now()
			} else if time.Since(*idleSince) > opt.Linger {
				return true, false
			}
			if via == viaOrigin {
				if now, err := e.origin(l.room); err == nil && now != origin {
					e.s.log.Info("room's origin changed; moving the link", "room", l.room, "from", origin, "to", now)
					return false, false
				}
				if opt.Upstream != "" && time.Since(since) > opt.UpstreamRetry {
					since = time.Now()
					if e.upstreamAnswers() {
						return false, true
					}
				}
			}
			if time.Since(lastAnnounce) > opt.AnnounceTTL/3 {
				e.announce(l.room)
				lastAnnounce = time.Now()
			}
		}
	}
}

// origin returns the base URL of the node holding the room's publisher
// ("" when none does or this node does).
func (e *edges) origin(roomID string) (string, error) {
	ctx, cancel := context.WithTimeout(e.s.ctx, ownerTimeout)
	defer cancel()
	return e.s.opt.Owners.OwnerURL(ctx, roomID)
}

// relayAnswer is what a relay endpoint said besides its SDP.
type relayAnswer struct {
	tier int    // the answering node's tier for the room
	node string // its public URL
}

// connect makes a source session for l's room fed by the relay of the node
// at base (the room's origin, or an upstream).
func (e *edges) connect(l *link, base string) (MediaSession, relayAnswer, error) {
	ctx, cancel := e.s.signalCtx()
	defer cancel()
	l.mu.Lock()
	depth := l.depth
	l.mu.Unlock()
	var ans relayAnswer
	sess, err := relayEndpoint{e.s}.relayEngine().Source(ctx, sfu.SourceRequest{Room: l.room, Dial: func(ctx context.Context, offer string) (string, error) {
		sdp, a, err := e.dial(ctx, base+"/relay/"+l.room, offer, depth)
		ans = a
		return sdp, err
	}})
	return sess, ans, err
}

// dial posts the edge's offer to a relay endpoint with the node credential
// (a header, never the URL), its hop count and this node's public URL, and
// returns the answer.
func (e *edges) dial(ctx context.Context, url, offer string, depth int) (string, relayAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(offer))
	if err != nil {
		return "", relayAnswer{}, fmt.Errorf("relay request: %w", err)
	}
	req.Header.Set("Content-Type", ContentTypeSDP)
	req.Header.Set("Authorization", "Bearer "+e.s.opt.Cascade.NodeSecret)
	req.Header.Set(RelayDepthHeader, strconv.Itoa(depth))
	if e.s.opt.PublicURL != "" {
		req.Header.Set(RelayNodeHeader, e.s.opt.PublicURL)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return "", relayAnswer{}, fmt.Errorf("relay request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(e.s.opt.MaxBodyBytes)+1))
	if err != nil {
		return "", relayAnswer{}, fmt.Errorf("relay answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", relayAnswer{}, fmt.Errorf("relay answered %d: %.200s", resp.StatusCode, body)
	}
	return string(body), relayAnswer{tier: relayTier(resp.Header.Get(RelayTierHeader)), node: resp.Header.Get(RelayNodeHeader)}, nil
}

func (e *edges) announce(roomID string) {
	a := e.s.opt.Cascade.Announcer
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(e.s.ctx, ownerTimeout)
	defer cancel()
	if err := a.Announce(ctx, roomID, e.s.opt.Cascade.AnnounceTTL); err != nil {
		e.s.log.Warn("relay announcement failed", "room", roomID, "err", err)
	}
}

func (e *edges) withdraw(roomID string) {
	a := e.s.opt.Cascade.Announcer
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ownerTimeout)
	defer cancel()
	if err := a.Withdraw(ctx, roomID); err != nil {
		e.s.log.Debug("relay withdrawal failed; it expires by itself", "room", roomID, "err", err)
	}
}
