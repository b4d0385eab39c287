package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// Anchor is who holds an anchor credential for a room.
type Anchor struct {
	// Admin is true for the operator's token.
	Admin bool
	// KeyID is the id of the room's push key presented (never the key).
	KeyID string
}

// ErrNotAnchor means the credential is neither the admin token nor a push
// key of the room.
var ErrNotAnchor = errors.New("commerce: not an anchor credential of the room")

// Anchors checks anchor credentials ("admin token or this room's push
// key"): the one auth function of the server, behind the interface the
// handlers need.
type Anchors interface {
	// Anchor returns who token is for room, ErrNotAnchor when it is
	// neither, or another error when it cannot be checked now.
	Anchor(ctx context.Context, room, token string) (Anchor, error)
}

// RoomInfo is what commerce needs to know of a room.
type RoomInfo interface {
	// Private reports whether room admits only viewers its tokens name
	// (false for a room that does not exist).
	Private(ctx context.Context, room string) (bool, error)
}

// anchorKey is the Fiber local holding the request's Anchor.
const anchorKey = "commerce.anchor"

// requireAnchor admits the admin token or the push key of the room in the path.
func (h *Handler) requireAnchor(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	tok := auth.BearerToken(c.Get(fiber.HeaderAuthorization))
	if tok == "" {
		return apierr.E(apierr.CodeMissingToken, "the admin token or the room's push key is required")
	}
	a, err := h.d.Anchors.Anchor(c.UserContext(), room, tok)
	switch {
	case errors.Is(err, ErrNotAnchor):
		return apierr.E(apierr.CodeInvalidPushKey, "the token is neither the admin token nor a push key of room %s", room)
	case err != nil:
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return err
		}
		return apierr.Internal(fmt.Errorf("verify anchor: %w", err))
	}
	c.Locals(anchorKey, a)
	return c.Next()
}

// anchorOf is the Anchor requireAnchor admitted.
func anchorOf(c *fiber.Ctx) Anchor {
	a, _ := c.Locals(anchorKey).(Anchor)
	return a
}

// credential names an anchor in logs: "admin" or the push key's id.
func (a Anchor) credential() string {
	if a.Admin {
		return "admin"
	}
	return "push_key"
}

// PushKeyAnchors is an Anchors over the admin token and a push-key check
// (the room store's), for composers that have no shared auth function yet.
type PushKeyAnchors struct {
	AdminToken string
	// Verify returns the id of key when it is a valid push key of room,
	// ErrNotAnchor when it is not (nil admits the admin token only).
	Verify func(ctx context.Context, room, key string) (keyID string, err error)
}

// Anchor implements Anchors.
func (p PushKeyAnchors) Anchor(ctx context.Context, room, token string) (Anchor, error) {
	if p.AdminToken != "" && auth.SecretEqual(token, p.AdminToken) {
		return Anchor{Admin: true}, nil
	}
	if p.Verify == nil {
		return Anchor{}, ErrNotAnchor
	}
	id, err := p.Verify(ctx, room, token)
	if err != nil {
		return Anchor{}, err
	}
	return Anchor{KeyID: id}, nil
}

// publicRooms is the RoomInfo of a server without private rooms.
type publicRooms struct{}

func (publicRooms) Private(context.Context, string) (bool, error) { return false, nil }
