package signaling

import (
	"sync"
	"sync/atomic"

	"golang.org/x/time/rate"

	"github.com/livesell/livesell/internal/auth"
)

// kind tells WHIP (publisher) from WHEP (viewer) resources.
type kind uint8

const (
	kindWHIP kind = iota
	kindWHEP
)

func (k kind) String() string {
	if k == kindWHIP {
		return "whip"
	}
	return "whep"
}

// resource is one WHIP or WHEP session resource.
type resource struct {
	id    string // 128-bit random, the last path segment of Location
	kind  kind
	room  string
	keyID string // WHIP: the push key it published with
	// source is the room's extra video source ("" the main one); its
	// media runs in the engine's room sourceRoom(room, source).
	source string
	// ticketed: a WHEP viewer let in with a ticket (ended when it is revoked).
	ticketed bool
	who      auth.Identity // WHEP: the viewer; WHIP: the anchor
	sess     MediaSession
	ref      string // WHEP: where the viewer came from, as its page reported it
	left     func() // WHEP: RoomEvents.ViewerJoined's departure hook, set once connected (by the watcher)
	// admitted gives the client's admission slot back when the session ends.
	admitted func()
	release  func()          // WHIP: gives the room's claim back when the session ends
	lost     <-chan struct{} // WHIP: closed when another node took the room's claim
	kinds    []string
	mids     []string

	patches *rate.Limiter // PATCH requests allowed

	mu          sync.Mutex // serialises PATCH on the resource
	etag        string
	remoteUfrag string
	// candidates counts the remote candidates handed to the engine, offer
	// and trickle together (CandidatePolicy.Max bounds it).
	candidates int
}

// registry indexes the live session resources of this node.
type registry struct {
	mu   sync.Mutex
	byID map[string]*resource
	whep atomic.Int64 // WHEP resources in byID, read without the lock (placement.go)
}

func newRegistry() *registry { return &registry{byID: map[string]*resource{}} }

func (g *registry) add(r *resource) {
	g.mu.Lock()
	if _, dup := g.byID[r.id]; !dup && r.kind == kindWHEP {
		g.whep.Add(1)
	}
	g.byID[r.id] = r
	g.mu.Unlock()
}

// viewers is the number of WHEP sessions of this node.
func (g *registry) viewers() int { return int(g.whep.Load()) }

func (g *registry) remove(r *resource) {
	g.mu.Lock()
	if g.byID[r.id] == r {
		delete(g.byID, r.id)
		if r.kind == kindWHEP {
			g.whep.Add(-1)
		}
	}
	g.mu.Unlock()
}

// get returns the resource id of kind k in room, or nil.
func (g *registry) get(k kind, room, id string) *resource {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.byID[id]
	if r == nil || r.kind != k || r.room != room {
		return nil
	}
	return r
}

func (g *registry) filter(keep func(*resource) bool) []*resource {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*resource
	for _, r := range g.byID {
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func (g *registry) all() []*resource { return g.filter(nil) }

func (g *registry) publishers() []*resource {
	return g.filter(func(r *resource) bool { return r.kind == kindWHIP })
}

func (g *registry) inRoom(room string) []*resource {
	return g.filter(func(r *resource) bool { return r.room == room })
}

// rooms returns the distinct rooms of this node's sessions.
func (g *registry) rooms() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	seen := make(map[string]struct{})
	for _, r := range g.byID {
		if _, ok := seen[r.room]; !ok {
			seen[r.room] = struct{}{}
			out = append(out, r.room)
		}
	}
	return out
}

// counts returns the publishers and, per room, the viewers of this node.
func (g *registry) counts() (publishers int, viewers map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	viewers = map[string]int{}
	for _, r := range g.byID {
		if r.kind == kindWHIP {
			publishers++
		} else {
			viewers[r.room]++
		}
	}
	return publishers, viewers
}
