package signaling

import (
	"context"
	"fmt"
	"io"
	"net/http"
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
	attempts   atomic.Int64 // link attempts, for the metrics
	reconnects atomic.Int64 // links made again after one ended
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
}

func newEdges(s *Service) *edges {
	return &edges{
		s:      s,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		links:  map[string]*link{},
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
func (e *edges) ensure(roomID string) {
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
	l := e.linkFor(roomID)
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

// linkFor returns roomID's link, starting it; nil once the service closes.
func (e *edges) linkFor(roomID string) *link {
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
	l := &link{room: roomID, stop: make(chan struct{}), done: make(chan struct{}), changed: make(chan struct{})}
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

func (l *link) set(up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.up = up
	close(l.changed)
	l.changed = make(chan struct{})
}

// viewers returns how many WHEP sessions of the room this node has.
func (e *edges) viewers(roomID string) int {
	n := 0
	for _, r := range e.s.sessions.inRoom(roomID) {
		if r.kind == kindWHEP {
			n++
		}
	}
	return n
}

// run keeps l's room linked to its current origin until l is stopped, the
// service closes, or the room has had no viewer here for Linger. A link
// that ends (the origin's link broke, its publisher left) is made again
// with backoff; a change of the room's claim (the anchor republished on
// another node) moves the link to the new origin. Viewers keep their
// sessions throughout.
func (e *edges) run(l *link) {
	opt := e.s.opt.Cascade
	backoff := opt.BackoffMin
	idleSince := time.Now()
	linked := false
	for {
		if e.viewers(l.room) > 0 {
			idleSince = time.Now()
		} else if time.Since(idleSince) > opt.Linger {
			return
		}
		origin, err := e.origin(l.room)
		if err == nil && origin != "" {
			e.attempts.Add(1)
			var sess MediaSession
			sess, err = e.connect(l.room, origin)
			if err == nil {
				if linked {
					e.reconnects.Add(1)
				}
				linked = true
				backoff = opt.BackoffMin
				l.set(true)
				e.s.log.Info("cascade link up", "room", l.room, "origin", origin)
				stopped := e.hold(l, sess, origin, &idleSince)
				sess.Close()
				l.set(false)
				e.withdraw(l.room)
				if stopped {
					return
				}
				e.s.log.Info("cascade link down; relinking", "room", l.room, "origin", origin)
				continue
			}
			e.s.log.Warn("cascade link failed", "room", l.room, "origin", origin, "err", err)
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

// hold watches a linked session until it ends, the room's origin changes,
// or the link must stop (then it reports true).
func (e *edges) hold(l *link, sess MediaSession, origin string, idleSince *time.Time) (stopped bool) {
	opt := e.s.opt.Cascade
	e.announce(l.room)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	lastAnnounce := time.Now()
	for {
		select {
		case <-l.stop:
			return true
		case <-e.s.stop:
			return true
		case <-sess.Done():
			return false
		case <-tick.C:
			if e.viewers(l.room) > 0 {
				*idleSince = time.Now()
			} else if time.Since(*idleSince) > opt.Linger {
				return true
			}
			if now, err := e.origin(l.room); err == nil && now != origin {
				e.s.log.Info("room's origin changed; moving the link", "room", l.room, "from", origin, "to", now)
				return false
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

// connect makes a source session for roomID fed by origin's relay.
func (e *edges) connect(roomID, origin string) (MediaSession, error) {
	ctx, cancel := e.s.signalCtx()
	defer cancel()
	return relayEndpoint{e.s}.relayEngine().Source(ctx, sfu.SourceRequest{Room: roomID, Dial: func(ctx context.Context, offer string) (string, error) {
		return e.dial(ctx, origin+"/relay/"+roomID, offer)
	}})
}

// dial posts the edge's offer to an origin's relay endpoint with the node
// credential (a header, never the URL) and returns the answer.
func (e *edges) dial(ctx context.Context, url, offer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(offer))
	if err != nil {
		return "", fmt.Errorf("relay request: %w", err)
	}
	req.Header.Set("Content-Type", ContentTypeSDP)
	req.Header.Set("Authorization", "Bearer "+e.s.opt.Cascade.NodeSecret)
	resp, err := e.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("relay request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(e.s.opt.MaxBodyBytes)+1))
	if err != nil {
		return "", fmt.Errorf("relay answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("relay answered %d: %.200s", resp.StatusCode, body)
	}
	return string(body), nil
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
