package interaction

import (
	"context"
	"log/slog"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// ticketCheck is the rule of who may join a ticketed room.
type ticketCheck struct {
	tickets auth.Tickets
	log     *slog.Logger
}

// pass is who's pass in a ticketed room, nil for a room that sells no
// access. A viewer without a ticket is refused with ticket_required; an
// unknown answer (the check failed) with ticket_check_unavailable, never
// let in.
func (h ticketCheck) pass(ctx context.Context, roomID string, who auth.Identity) (*auth.Pass, error) {
	user := who.UserID
	if who.Anonymous {
		user = "" // a fresh random id, which holds no ticket
	}
	ticketed, p, ok, err := h.tickets.Pass(ctx, roomID, user)
	switch {
	case err != nil:
		h.log.Warn("ticket check failed", "room", roomID, "user", who.UserID, "err", err)
		return nil, protocol.Errorf(protocol.CodeTicketCheckUnavailable, "your ticket cannot be checked right now; retry shortly")
	case !ticketed:
		return nil, nil
	case !ok:
		return nil, protocol.Errorf(protocol.CodeTicketRequired, "this show is for ticket holders: buy a ticket to watch")
	}
	return &p, nil
}

// RevokeViewer disconnects, on this node, user's members in room that were let
// in with a ticket (a refund or a released place took it back). Every node
// hears the entitlement event itself, so nothing crosses the bus. It
// returns how many members were closed.
func (h *Hub) RevokeViewer(roomID, user string) int {
	r := h.room(roomID)
	if r == nil {
		return 0
	}
	n := 0
	for _, m := range *r.members.Load() {
		if m.pass != nil && m.who.UserID == user {
			m.closeWith(protocol.CodeTicketRequired, "your ticket for this show was revoked")
			n++
		}
	}
	return n
}
