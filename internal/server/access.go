package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
)

// viewerRevoker ends a user's sessions in a room on this node: the media
// layer's WHEP sessions and interaction's members.
type viewerRevoker interface {
	RevokeViewer(room, user string) int
}

// revokedHold is how long a revoked (room, user) stays refused on this
// node whatever the tickets answer, unless a grant arrives: it covers the
// moment between the kick and the tickets' own cache dropping the pass.
const revokedHold = 30 * time.Second

// admission is the node's ticket check as media and interaction see it:
// the presale tickets, behind the revocations this node heard.
type admission struct {
	tickets auth.Tickets
	now     func() time.Time

	mu      sync.Mutex
	revoked map[string]time.Time // room + "\x00" + user → until
}

// Pass is auth.Tickets: a user revoked moments ago has no pass here even
// if the tickets have not heard yet.
func (a *admission) Pass(ctx context.Context, room, user string) (bool, auth.Pass, bool, error) {
	ticketed, p, ok, err := a.tickets.Pass(ctx, room, user)
	if err != nil || !ok {
		return ticketed, p, ok, err
	}
	a.mu.Lock()
	until, held := a.revoked[room+"\x00"+user]
	a.mu.Unlock()
	if held && a.now().Before(until) {
		return ticketed, auth.Pass{}, false, nil
	}
	return ticketed, p, ok, nil
}

// heard applies one entitlement event: a revoke holds the pass back and
// ends the user's sessions in the room; a grant lifts the hold.
func (a *admission) heard(ev events.EntitlementEvent, revokers []viewerRevoker) int {
	key := ev.Room + "\x00" + ev.UserID
	now := a.now()
	a.mu.Lock()
	for k, until := range a.revoked { // few entries: revocations are rare
		if !now.Before(until) {
			delete(a.revoked, k)
		}
	}
	if ev.Type != events.EntitlementRevoked {
		if ev.Type == events.EntitlementGranted {
			delete(a.revoked, key)
		}
		a.mu.Unlock()
		return 0
	}
	a.revoked[key] = now.Add(revokedHold)
	a.mu.Unlock()
	n := 0
	for _, r := range revokers {
		n += r.RevokeViewer(ev.Room, ev.UserID)
	}
	return n
}

// openAdmission wraps the node's tickets (auth.NoTickets until presale
// provides its own) for media and interaction. It runs before them.
func (s *Server) openAdmission(tickets auth.Tickets) {
	if tickets == nil {
		tickets = auth.NoTickets{}
	}
	s.admission = &admission{tickets: tickets, now: time.Now, revoked: map[string]time.Time{}}
}

// watchEntitlements makes every node act on every entitlement event: on
// a revoke (a refund, a released place, the operator) the user's WHEP
// sessions and room members in that room end here within moments. It
// subscribes to the events' subject, which the presale outbox publishes
// into events.EntitlementsStream; each node gets its own copy.
func (s *Server) watchEntitlements(revokers ...viewerRevoker) error {
	subj := events.EntitlementSubject(s.cfg.Store.Namespace, "*")
	sub, err := s.back.NATS.Subscribe(subj, func(msg *nats.Msg) {
		var ev events.EntitlementEvent
		if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.Room == "" || ev.UserID == "" {
			s.log.Warn("malformed entitlement event", "subject", msg.Subject)
			return
		}
		if ev.Type == "" {
			ev.Type = lastToken(msg.Subject)
		}
		if n := s.admission.heard(ev, revokers); n > 0 {
			s.log.Info("entitlement revoked: viewer disconnected", "room", ev.Room, "user", ev.UserID, "sessions", n, "source", ev.Source)
		}
	})
	if err != nil {
		return fmt.Errorf("server: entitlement events: %w", err)
	}
	s.addCloser(func(context.Context) error { return sub.Unsubscribe() })
	return nil
}

// lastToken is the last dot-separated token of a subject.
func lastToken(subject string) string {
	for i := len(subject) - 1; i >= 0; i-- {
		if subject[i] == '.' {
			return subject[i+1:]
		}
	}
	return subject
}
