package presale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/presale/schema"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
)

// Passes answers auth.Tickets on the fast path: whether a room sells
// access and what a user's entitlement allows, from memory. Every node
// consumes the entitlement events (JetStream, an ordered consumer of new
// events) and drops the user's cached answer on each; a miss reads SQL, so
// an answer is never older than the last event this node has seen. Room
// answers (the offer's tiers) are kept RoomTTL, user answers UserTTL as a
// safety net for a consumer that fell behind.
type Passes struct {
	store *Store
	log   *slog.Logger
	now   func() time.Time

	mu    sync.RWMutex
	rooms map[string]roomPass
	users map[passKey]userPass
	gen   atomic.Uint64 // bumped by every drop: a miss stores its answer only if none came meanwhile

	hooks struct {
		sync.Mutex
		revoked []func(events.EntitlementEvent)
	}
	seen atomic.Int64 // events consumed (tests, metrics)
	cons jetstream.ConsumeContext
}

// Cache lifetimes of Passes.
const (
	RoomTTL = 5 * time.Second
	UserTTL = time.Minute
	// maxCached bounds each map; past it the map starts over.
	maxCached = 200_000
)

type passKey struct{ room, user string }

type roomPass struct {
	ticketed bool
	tiers    map[string]auth.Pass
	order    []string // tier names in the offer's order
	at       time.Time
}

type userPass struct {
	tiers []string // the user's tiers in force, in the offer's order
	at    time.Time
}

// pass is what u's tiers allow in r (no allocation for one tier).
func (r roomPass) pass(u userPass) (auth.Pass, bool) {
	switch len(u.tiers) {
	case 0:
		return auth.Pass{}, false
	case 1:
		return r.tiers[u.tiers[0]], true
	}
	out := r.tiers[u.tiers[0]]
	for _, t := range u.tiers[1:] {
		out = merge(out, r.tiers[t])
	}
	return out, true
}

var _ auth.Tickets = (*Passes)(nil)

// NewPasses migrates the presale schema and starts consuming namespace
// ns's entitlement events; Close stops it.
func NewPasses(ctx context.Context, b *backend.Backends, ns string, log *slog.Logger) (*Passes, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		return nil, err
	}
	p := &Passes{store: &Store{db: b.SQL, committed: func() {}}, log: log.With("component", "presale-passes"), now: time.Now,
		rooms: map[string]roomPass{}, users: map[passKey]userPass{}}
	if _, err := b.JetStream.CreateOrUpdateStream(ctx, events.EntitlementsStreamConfig(ns)); err != nil {
		return nil, fmt.Errorf("presale: stream: %w", err)
	}
	c, err := b.JetStream.OrderedConsumer(ctx, events.EntitlementsStream(ns), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.EntitlementSubject(ns, "*")}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, fmt.Errorf("presale: entitlement consumer: %w", err)
	}
	if p.cons, err = c.Consume(p.onMsg); err != nil {
		return nil, fmt.Errorf("presale: entitlement consumer: %w", err)
	}
	return p, nil
}

// Close stops consuming.
func (p *Passes) Close() {
	if p.cons != nil {
		p.cons.Stop()
	}
}

// OnRevoke registers fn, run on this node for every revoke event (every
// node sees every event): disconnect the user's sessions of the room.
func (p *Passes) OnRevoke(fn func(events.EntitlementEvent)) {
	p.hooks.Lock()
	p.hooks.revoked = append(p.hooks.revoked, fn)
	p.hooks.Unlock()
}

// Seen counts the entitlement events this node consumed.
func (p *Passes) Seen() int64 { return p.seen.Load() }

func (p *Passes) onMsg(m jetstream.Msg) {
	var ev events.EntitlementEvent
	if err := json.Unmarshal(m.Data(), &ev); err != nil {
		p.log.Warn("bad entitlement event", "err", err)
		return
	}
	p.drop(ev.Room, ev.UserID)
	p.seen.Add(1)
	if ev.Type != events.EntitlementRevoked {
		return
	}
	p.hooks.Lock()
	hooks := p.hooks.revoked
	p.hooks.Unlock()
	for _, fn := range hooks {
		fn(ev)
	}
}

// drop forgets user's answer for room.
func (p *Passes) drop(room, user string) {
	p.gen.Add(1)
	p.mu.Lock()
	delete(p.users, passKey{room, user})
	p.mu.Unlock()
}

// dropRoom forgets room's offer answer (its offer changed on this node).
func (p *Passes) dropRoom(room string) {
	p.gen.Add(1)
	p.mu.Lock()
	delete(p.rooms, room)
	p.mu.Unlock()
}

// Pass implements auth.Tickets: from memory when it can, else from SQL.
func (p *Passes) Pass(ctx context.Context, room, user string) (bool, auth.Pass, bool, error) {
	now := p.now()
	p.mu.RLock()
	r, rok := p.rooms[room]
	u, uok := p.users[passKey{room, user}]
	p.mu.RUnlock()
	if !rok || now.Sub(r.at) > RoomTTL {
		var err error
		if r, err = p.loadRoom(ctx, room, now); err != nil {
			return false, auth.Pass{}, false, err
		}
	}
	if !r.ticketed {
		return false, auth.Pass{}, false, nil
	}
	if user == "" {
		return true, auth.Pass{}, false, nil
	}
	if uok && now.Sub(u.at) <= UserTTL {
		pass, ok := r.pass(u)
		return true, pass, ok, nil
	}
	g := p.gen.Load()
	tiers, err := p.store.ActiveTiers(ctx, room, user)
	if err != nil {
		return true, auth.Pass{}, false, err
	}
	u = userPass{at: now}
	for _, name := range r.order {
		for _, t := range tiers {
			if t == name {
				u.tiers = append(u.tiers, name)
			}
		}
	}
	if p.gen.Load() == g {
		p.mu.Lock()
		if len(p.users) >= maxCached {
			p.users = map[passKey]userPass{}
		}
		p.users[passKey{room, user}] = u
		p.mu.Unlock()
	}
	pass, ok := r.pass(u)
	return true, pass, ok, nil
}

// merge adds tier pass b to a holder's pass a (a user may hold several
// tiers): the tier with more rights names the pass.
func merge(a, b auth.Pass) auth.Pass {
	out := a
	if len(b.Sources) > len(a.Sources) || (b.Highlight && !a.Highlight) {
		out.Tier = b.Tier
	}
	seen := map[string]bool{}
	out.Sources = nil
	for _, s := range append(append([]string{}, a.Sources...), b.Sources...) {
		if !seen[s] {
			seen[s] = true
			out.Sources = append(out.Sources, s)
		}
	}
	out.Comment = a.Comment || b.Comment
	out.Highlight = a.Highlight || b.Highlight
	return out
}

func (p *Passes) loadRoom(ctx context.Context, room string, now time.Time) (roomPass, error) {
	g := p.gen.Load()
	off, err := p.store.Offer(ctx, room)
	r := roomPass{at: now}
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return roomPass{}, err
	default:
		r.ticketed = true
		r.tiers = make(map[string]auth.Pass, len(off.Tiers))
		for _, t := range off.Tiers {
			r.tiers[t.Name] = auth.Pass{Tier: t.Name, Sources: t.Sources, Comment: t.Comment, Highlight: t.Highlight}
			r.order = append(r.order, t.Name)
		}
	}
	if p.gen.Load() == g {
		p.mu.Lock()
		if len(p.rooms) >= maxCached {
			p.rooms = map[string]roomPass{}
		}
		p.rooms[room] = r
		p.mu.Unlock()
	}
	return r, nil
}
