package api

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/auth"
)

// Guard is the server's one credential check (internal/auth's
// Authenticator): the handlers name the credential kinds they admit.
type Guard interface {
	// Require is middleware admitting accept (a push key must be of the
	// room in the path).
	Require(accept auth.Accept) fiber.Handler
	// Request checks c's credential against accept for room.
	Request(c *fiber.Ctx, accept auth.Accept, room string) (auth.Principal, error)
}

// RoomInfo is what commerce needs to know of a room.
type RoomInfo interface {
	// Private reports whether room admits only viewers its tokens name
	// (false for a room that does not exist).
	Private(ctx context.Context, room string) (bool, error)
}

// Anchor is who presented an anchor credential for a room.
type Anchor struct {
	// Admin is true for the operator's token.
	Admin bool
	// KeyID is the id of the room's push key presented (never the key).
	KeyID string
}

// anchorKey is the Fiber local holding the request's Anchor.
const anchorKey = "commerce.anchor"

// requireAnchor admits the admin token or the push key of the room in the path.
func (h *base) requireAnchor(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	p, err := h.d.Auth.Request(c, auth.Admin|auth.PushKey, room)
	if err != nil {
		return err
	}
	c.Locals(anchorKey, Anchor{Admin: p.Kind == auth.KindAdmin, KeyID: p.KeyID})
	return c.Next()
}

// anchorOf is the Anchor requireAnchor admitted.
func anchorOf(c *fiber.Ctx) Anchor {
	a, _ := c.Locals(anchorKey).(Anchor)
	return a
}

// credential names an anchor's credential in logs: "admin" or "push_key".
func (a Anchor) credential() string {
	if a.Admin {
		return "admin"
	}
	return "push_key"
}

// publicRooms is the RoomInfo of a server without private rooms.
type publicRooms struct{}

func (publicRooms) Private(context.Context, string) (bool, error) { return false, nil }
