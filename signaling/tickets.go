package signaling

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// ticketTimeout bounds one admission check (a cache hit costs nothing; a
// miss reads the entitlement store).
const ticketTimeout = 2 * time.Second

// admitTicket is the ticket rule of a WHEP offer: in a room that sells
// access, a viewer needs a pass (the admin needs none). The pass is nil
// for a room that sells none. An unknown answer is a retryable refusal
// (503 ticket_check_unavailable), never a let-in.
func (s requests) admitTicket(ctx context.Context, roomID string, p auth.Principal) (*auth.Pass, error) {
	if p.Kind == auth.KindAdmin {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, ticketTimeout)
	defer cancel()
	ticketed, pass, ok, err := s.opt.Tickets.Pass(ctx, roomID, ticketUser(p.Identity))
	switch {
	case err != nil:
		s.log.Warn("ticket check failed", "room", roomID, "user", p.UserID, "err", err)
		return nil, apierr.Wrap(apierr.CodeTicketCheckUnavailable, err)
	case !ticketed:
		return nil, nil
	case !ok:
		return nil, apierr.New(apierr.CodeTicketRequired)
	}
	return &pass, nil
}

// passView is the answer of GET /api/rooms/{room}/pass.
type passView struct {
	Room     string `json:"room"`
	Ticketed bool   `json:"ticketed"`
	// Admitted says whether this viewer may watch (always in an open room).
	Admitted  bool     `json:"admitted"`
	Tier      string   `json:"tier,omitempty"`
	Sources   []string `json:"sources"`
	Comment   bool     `json:"comment"`
	Highlight bool     `json:"highlight,omitempty"`
}

// getPass answers GET /api/rooms/{room}/pass: whether the room sells
// access and what the caller's ticket allows, for the viewer page to show
// the show or its admission screen. The media and the room channel apply
// the same rule on their own.
func (a roomsAPI) getPass(c *fiber.Ctx) error {
	rm, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	p, err := requests{a.s}.viewer(c, rm.ID)
	if err != nil {
		return err
	}
	if err := mayView(rm, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	out := passView{Room: rm.ID, Sources: []string{}}
	pass, err := requests{a.s}.admitTicket(c.UserContext(), rm.ID, p)
	if err != nil {
		if apierr.From(err).Code == apierr.CodeTicketRequired {
			out.Ticketed = true
			return c.JSON(out)
		}
		return err
	}
	if pass == nil {
		out.Admitted, out.Comment = true, true
		return c.JSON(out)
	}
	out.Ticketed, out.Admitted = true, true
	out.Tier, out.Comment, out.Highlight = pass.Tier, pass.Comment, pass.Highlight
	out.Sources = append(out.Sources, pass.Sources...)
	return c.JSON(out)
}

// RevokeViewer ends this node's WHEP sessions of user in room that were
// let in with a ticket (main and extra sources): its entitlement was
// revoked. Every node hears the entitlement event itself. It returns how
// many sessions it ended.
func (s *Service) RevokeViewer(roomID, user string) int {
	n := 0
	for _, r := range s.sessions.inRoom(roomID) {
		if r.kind == kindWHEP && r.ticketed && r.who.UserID == user {
			s.log.Info("ticket revoked: ending viewer", "room", roomID, "session", r.id, "user", user)
			r.sess.Close()
			n++
		}
	}
	return n
}

// ticketUser is whose ticket to look up: nobody's for an anonymous viewer
// (a fresh random id every visit, which can hold no ticket and must not
// cost a lookup).
func ticketUser(who auth.Identity) string {
	if who.Anonymous {
		return ""
	}
	return who.UserID
}
