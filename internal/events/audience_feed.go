package events

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
)

// AudienceFeed carries AudienceEvents from the interaction layer to their
// consumers (the after-show report, draws by keyword). One node uses
// LocalAudience (in-process: a danmaku costs no network hop); several use
// NATSAudience (core NATS on AudienceSubject, lossy by contract).
type AudienceFeed interface {
	// Publish delivers evs, in order, to the subscribers of their rooms.
	Publish(evs []AudienceEvent)
	// Subscribe calls fn with every event of room ("*": every room) until
	// cancel is called. fn runs on the publisher's goroutine: it must not
	// block (hand the event to a goroutine of its own).
	Subscribe(room string, fn func(AudienceEvent)) (cancel func(), err error)
}

// LocalAudience is the AudienceFeed of a single node.
type LocalAudience struct {
	mu   sync.Mutex
	next int
	subs map[int]localAudienceSub
}

type localAudienceSub struct {
	room string
	fn   func(AudienceEvent)
}

// NewLocalAudience returns an in-process audience feed.
func NewLocalAudience() *LocalAudience {
	return &LocalAudience{subs: map[int]localAudienceSub{}}
}

// Publish implements AudienceFeed.
func (l *LocalAudience) Publish(evs []AudienceEvent) {
	l.mu.Lock()
	subs := make([]localAudienceSub, 0, len(l.subs))
	for _, s := range l.subs {
		subs = append(subs, s)
	}
	l.mu.Unlock()
	for i := range evs {
		for _, s := range subs {
			if s.room == "*" || s.room == evs[i].Room {
				s.fn(evs[i])
			}
		}
	}
}

// Subscribe implements AudienceFeed.
func (l *LocalAudience) Subscribe(room string, fn func(AudienceEvent)) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id := l.next
	l.next++
	l.subs[id] = localAudienceSub{room: room, fn: fn}
	return func() {
		l.mu.Lock()
		delete(l.subs, id)
		l.mu.Unlock()
	}, nil
}

// NATSAudience is the AudienceFeed of several nodes: one core NATS message
// per event on AudienceSubject(ns, room).
type NATSAudience struct {
	nc  *nats.Conn
	ns  string
	log *slog.Logger
}

// NewNATSAudience returns a feed over nc in namespace ns.
func NewNATSAudience(nc *nats.Conn, ns string, log *slog.Logger) *NATSAudience {
	if log == nil {
		log = slog.Default()
	}
	return &NATSAudience{nc: nc, ns: ns, log: log}
}

// Publish implements AudienceFeed (buffered writes; nats.go flushes them together).
func (n *NATSAudience) Publish(evs []AudienceEvent) {
	for i := range evs {
		b, err := json.Marshal(&evs[i])
		if err == nil {
			err = n.nc.Publish(AudienceSubject(n.ns, evs[i].Room), b)
		}
		if err != nil {
			n.log.Warn("audience event not published", "room", evs[i].Room, "kind", evs[i].Kind, "err", err)
		}
	}
}

// Subscribe implements AudienceFeed; malformed messages are dropped.
func (n *NATSAudience) Subscribe(room string, fn func(AudienceEvent)) (func(), error) {
	prefix := n.ns + ".room."
	sub, err := n.nc.Subscribe(AudienceSubject(n.ns, room), func(m *nats.Msg) {
		var ev AudienceEvent
		if json.Unmarshal(m.Data, &ev) != nil || prefix+ev.Room+".audience" != m.Subject || strings.ContainsAny(ev.Room, ".*> ") {
			return
		}
		fn(ev)
	})
	if err != nil {
		return nil, fmt.Errorf("events: subscribe audience: %w", err)
	}
	sub.SetPendingLimits(1<<20, 256<<20)
	return func() { sub.Unsubscribe() }, nil
}
