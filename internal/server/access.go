package server

import (
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
)

// viewerRevoker ends a user's sessions in a room on this node: the media
// layer's WHEP sessions and interaction's members.
type viewerRevoker interface {
	RevokeViewer(room, user string) int
}

// revokeHooks is where the node hears revoked entitlements (the presale
// Passes: every node consumes every entitlement event and drops its cached
// pass before it runs the hooks).
type revokeHooks interface {
	OnRevoke(fn func(events.EntitlementEvent))
}

// admissionOf is the ticket check media and interaction apply on every
// WHEP offer and room join: tickets, or auth.NoTickets when none is given.
func admissionOf(tickets auth.Tickets) auth.Tickets {
	if tickets == nil {
		return auth.NoTickets{}
	}
	return tickets
}

// watchEntitlements makes a revoke (a refund, a released place, the
// operator) end the user's WHEP sessions and room members in that room on
// this node at once; every node does the same on its own copy of the event.
func (s *Server) watchEntitlements(hooks revokeHooks, revokers ...viewerRevoker) {
	if hooks == nil {
		return
	}
	hooks.OnRevoke(func(ev events.EntitlementEvent) {
		n := 0
		for _, r := range revokers {
			n += r.RevokeViewer(ev.Room, ev.UserID)
		}
		s.log.Info("entitlement revoked", "room", ev.Room, "user", ev.UserID, "source", ev.Source, "sessions_ended", n)
	})
}
