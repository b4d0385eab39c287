package signaling

import (
	"context"
	"sort"
	"time"

	"github.com/livesell/livesell/signaling/claim"
)

// Placement spreads a room's viewers over the nodes that serve it, without
// consensus: every node publishes a small load record in Redis (its WHEP
// viewers, its cap, whether it drains) with a TTL, and a node that does not
// serve a viewer itself answers the 307 to the least-loaded node among the
// room's origin and the edges announced for it.

// PlacementOptions configure the load records and the choice of a node.
type PlacementOptions struct {
	// Loads keeps the nodes' load records and tells a room's origin and
	// edges (*claim.Claims); nil publishes nothing and redirects viewers to
	// the origin only.
	Loads NodeLoads
	// MaxViewers is this node's viewer cap: past it a new viewer is sent to
	// a less-loaded node serving the room, when there is one. 0: no cap.
	MaxViewers int
	// Refresh is how often this node's record is published (it lives three
	// periods); 0 means 2s.
	Refresh time.Duration
}

// NodeLoads is what placement needs of the cluster's records
// (*claim.Claims).
type NodeLoads interface {
	// Self is this node's id and public URL.
	Self() claim.Owner
	// Lookup returns the room's origin (the holder of its claim), if any.
	Lookup(ctx context.Context, room string) (claim.Owner, bool, error)
	// Relays returns the edges announced for room.
	Relays(ctx context.Context, room string) ([]claim.Owner, error)
	// PublishLoad stores this node's load record for ttl.
	PublishLoad(ctx context.Context, l claim.Load, ttl time.Duration) error
	// WithdrawLoad deletes this node's load record.
	WithdrawLoad(ctx context.Context) error
	// Loads returns the records of the nodes ids that have one.
	Loads(ctx context.Context, ids []string) (map[string]claim.Load, error)
}

// placement publishes this node's load record and picks nodes for viewers.
type placement struct{ s *Service }

func (o *PlacementOptions) defaults() {
	if o.Refresh <= 0 {
		o.Refresh = 2 * time.Second
	}
}

// full reports whether this node is at its viewer cap.
func (p placement) full() bool {
	max := p.s.opt.Placement.MaxViewers
	return max > 0 && p.s.sessions.viewers() >= max
}

// load is this node's record now.
func (p placement) load() claim.Load {
	return claim.Load{Viewers: p.s.sessions.viewers(), MaxViewers: p.s.opt.Placement.MaxViewers, Draining: p.s.drain.active()}
}

// publish stores this node's record; a failure is logged (the record
// expires, and the node is then only the fallback as a room's origin).
func (p placement) publish() {
	l := p.s.opt.Placement.Loads
	ctx, cancel := context.WithTimeout(context.Background(), ownerTimeout)
	defer cancel()
	if err := l.PublishLoad(ctx, p.load(), 3*p.s.opt.Placement.Refresh); err != nil {
		p.s.log.Warn("node load record not published", "err", err)
	}
}

// run publishes the record every Refresh, and at once when the drain
// starts, until the service closes; then it withdraws it.
func (p placement) run() {
	defer p.s.wg.Done()
	t := time.NewTicker(p.s.opt.Placement.Refresh)
	defer t.Stop()
	draining := p.s.drain.started()
	for {
		p.publish()
		select {
		case <-p.s.stop:
			ctx, cancel := context.WithTimeout(context.Background(), ownerTimeout)
			defer cancel()
			if err := p.s.opt.Placement.Loads.WithdrawLoad(ctx); err != nil {
				p.s.log.Warn("node load record not withdrawn; it expires by itself", "err", err)
			}
			return
		case <-t.C:
		case <-draining:
			draining = nil
		}
	}
}

// target is the base URL of the node a viewer of roomID is sent to, or ""
// for none: with load records the least-loaded node serving the room
// (pickNode), without them the origin when it is another node.
func (p placement) target(ctx context.Context, roomID string) string {
	s := p.s
	loads := s.opt.Placement.Loads
	if loads == nil {
		if s.opt.Owners == nil {
			return ""
		}
		base, err := s.opt.Owners.OwnerURL(ctx, roomID)
		if err != nil {
			s.log.Warn("room owner lookup failed", "room", roomID, "err", err)
		}
		return base
	}
	origin, live, err := loads.Lookup(ctx, roomID)
	if err != nil {
		s.log.Warn("room owner lookup failed", "room", roomID, "err", err)
		return ""
	}
	edges, err := loads.Relays(ctx, roomID)
	if err != nil {
		s.log.Warn("room edges lookup failed", "room", roomID, "err", err)
	}
	ids := make([]string, 0, len(edges)+1)
	if live {
		ids = append(ids, origin.NodeID)
	}
	for _, e := range edges {
		ids = append(ids, e.NodeID)
	}
	recs, err := loads.Loads(ctx, ids)
	if err != nil {
		s.log.Warn("node load records not read; sending the viewer to the origin", "room", roomID, "err", err)
		recs = nil
	}
	var o *claim.Owner
	if live {
		o = &origin
	}
	return pickNode(loads.Self(), o, edges, recs)
}

// pickNode chooses the node for a viewer this node (self) does not serve:
// among the room's origin and its edges, those with a load record that
// neither drain nor are full, the one with the fewest viewers (ties: the
// origin, then the lower node id). When none qualifies it is the origin,
// unless its record says it drains; "" when there is no such node. Self is
// never chosen (a redirect to itself would loop); an edge without a record
// is not chosen (its load is unknown). With no origin (the room is off
// air) there is no node.
func pickNode(self claim.Owner, origin *claim.Owner, edges []claim.Owner, loads map[string]claim.Load) string {
	if origin == nil {
		return "" // off air: edges have nothing to serve
	}
	isSelf := func(o claim.Owner) bool { return o.NodeID == self.NodeID || o.URL == self.URL }
	type cand struct {
		o       claim.Owner
		viewers int
		origin  bool
	}
	var cands []cand
	seen := map[string]bool{}
	add := func(o claim.Owner, isOrigin bool) {
		if isSelf(o) || seen[o.NodeID] {
			return
		}
		seen[o.NodeID] = true
		if l, ok := loads[o.NodeID]; ok && !l.Draining && !l.Full() {
			cands = append(cands, cand{o: o, viewers: l.Viewers, origin: isOrigin})
		}
	}
	add(*origin, true)
	for _, e := range edges {
		add(e, false)
	}
	if len(cands) > 0 {
		sort.Slice(cands, func(i, j int) bool {
			a, b := cands[i], cands[j]
			if a.viewers != b.viewers {
				return a.viewers < b.viewers
			}
			if a.origin != b.origin {
				return a.origin
			}
			return a.o.NodeID < b.o.NodeID
		})
		return cands[0].o.URL
	}
	if isSelf(*origin) || loads[origin.NodeID].Draining {
		return ""
	}
	return origin.URL
}
