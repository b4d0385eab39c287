package guard

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/internal/errmap"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// Auth checks credentials (the node's one auth.Authenticator).
type Auth interface {
	Request(c *fiber.Ctx, accept auth.Accept, room string) (auth.Principal, error)
}

// Rooms says whether a room exists (for the anchor's routes).
type Rooms interface {
	Exists(ctx context.Context, room string) (bool, error)
}

// Default limits of the tools' actions, per user and per client address
// (many viewers may share an address behind a carrier's NAT).
var (
	GrabLimits  = Limits{PerUser: Limit{N: 5, Window: time.Second}, PerAddr: Limit{N: 300, Window: time.Second}}
	EnterLimits = Limits{PerUser: Limit{N: 5, Window: time.Second}, PerAddr: Limit{N: 300, Window: time.Second}}
	ClaimLimits = Limits{PerUser: Limit{N: 5, Window: 10 * time.Second}, PerAddr: Limit{N: 100, Window: 10 * time.Second}}
	GiftLimits  = Limits{PerUser: Limit{N: 10, Window: time.Second}, PerAddr: Limit{N: 300, Window: time.Second}}
)

// Addr is the request's client address as text.
func Addr(c *fiber.Ctx) string {
	if a := auth.ClientAddr(c); a.IsValid() {
		return a.String()
	}
	return ""
}

// Limit applies lim to the request's user and address; a refusal is
// rate_limited (and audited).
func (g *Guard) Limit(c *fiber.Ctx, a Act, lim Limits) error {
	a.Addr = Addr(c)
	ok, err := g.Allow(c.UserContext(), a, lim)
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	if !ok {
		return apierr.E(apierr.CodeRateLimited, "too many %s in a short time; try again in a second", a.Action).WithRetryAfter(time.Second)
	}
	return nil
}

// Code maps one domain error to a catalogue code (the tools' rows are
// never Quiet: the domain's message names the broken rule).
type Code = errmap.Code

// MapErr turns err into a catalogue error through table (the domain's
// message names the broken rule), or the 500 path.
func MapErr(err error, table []Code) error { return errmap.Map(err, table) }

// Trail serves GET /api/games/audit?target= (admin): the audit trail of one
// draw, packet or gift.
func (g *Guard) Trail(a Auth) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := a.Request(c, auth.Admin, ""); err != nil {
			return err
		}
		target := c.Query("target")
		if target == "" || len(target) > 128 {
			return apierr.E(apierr.CodeInvalidRequest, "target (a draw, red packet or gift id) is required")
		}
		es, err := g.Audit.Trail(c.UserContext(), target, 200)
		if err != nil {
			return apierr.Internal(err)
		}
		if es == nil {
			es = []Entry{}
		}
		return c.JSON(fiber.Map{"entries": es})
	}
}

// SetAccount serves PUT /api/games/accounts/{user} (admin): the shop tells
// when an account was created ({"created_at": RFC 3339}), for draws that
// exclude accounts newer than their opening.
func (g *Guard) SetAccount(a Auth) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := a.Request(c, auth.Admin, ""); err != nil {
			return err
		}
		var b struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := apierr.DecodeJSON(c.Body(), &b); err != nil {
			return err
		}
		user := c.Params("user")
		if user == "" || len(user) > 128 || b.CreatedAt.IsZero() {
			return apierr.E(apierr.CodeInvalidRequest, "a user id and created_at are required")
		}
		if err := g.Audit.SetCreated(c.UserContext(), user, b.CreatedAt); err != nil {
			return apierr.Internal(err)
		}
		return c.JSON(fiber.Map{"user_id": user, "created_at": b.CreatedAt.UTC()})
	}
}

// Room is the request's :room, which must exist (room_not_found
// otherwise).
func Room(c *fiber.Ctx, rooms Rooms) (string, error) {
	room := c.Params("room")
	ok, err := rooms.Exists(c.UserContext(), room)
	if err != nil {
		return "", apierr.Internal(err)
	}
	if !ok {
		return "", apierr.E(apierr.CodeRoomNotFound, "no room %q", room)
	}
	return room, nil
}

// Anchor admits the room's anchor (an admin or the push key of :room),
// then checks that the room exists: the prologue of the anchor's routes.
func Anchor(c *fiber.Ctx, a Auth, rooms Rooms) (auth.Principal, string, error) {
	p, err := a.Request(c, auth.Admin|auth.PushKey, c.Params("room"))
	if err != nil {
		return p, "", err
	}
	room, err := Room(c, rooms)
	return p, room, err
}

// Viewer admits a signed-in viewer (or an admin): the prologue of the
// audience's routes.
func Viewer(c *fiber.Ctx, a Auth) (auth.Principal, error) {
	return a.Request(c, auth.User|auth.Admin, "")
}

// Admit applies lim to act (see Limit) and returns act with the request's
// address, ready to be recorded.
func (g *Guard) Admit(c *fiber.Ctx, act Act, lim Limits) (Act, error) {
	if err := g.Limit(c, act, lim); err != nil {
		return act, err
	}
	act.Addr = Addr(c)
	return act, nil
}
