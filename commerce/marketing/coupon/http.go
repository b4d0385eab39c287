package coupon

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/roomid"
)

// Guard checks credentials (the server's one Authenticator).
type Guard interface {
	Require(accept auth.Accept) fiber.Handler
	Request(c *fiber.Ctx, accept auth.Accept, room string) (auth.Principal, error)
}

// HTTP serves the coupon routes.
type HTTP struct {
	S    *Service
	Auth Guard
	// Private tells private rooms (nil: every room is public).
	Private func(c *fiber.Ctx, room string) (bool, error)
	// ClientAddr is a request's client address ("" for tools on the host).
	ClientAddr func(c *fiber.Ctx) string
}

// Mount registers the coupon routes on r.
func (h *HTTP) Mount(r fiber.Router) {
	user := h.Auth.Require(auth.User | auth.Admin)
	r.Post("/api/rooms/:room/coupons", h.anchor, h.create)
	r.Get("/api/rooms/:room/coupons", h.list)
	r.Get("/api/rooms/:room/coupons/stats", h.anchor, h.stats)
	r.Post("/api/rooms/:room/coupons/:id/push", h.anchor, h.push)
	r.Post("/api/coupons/:id/claim", user, h.claim)
	r.Get("/api/me/coupons", user, h.mine)
}

// anchor admits the admin token or the push key of the room in the path.
func (h *HTTP) anchor(c *fiber.Ctx) error {
	room := c.Params("room")
	if !roomid.Valid(room) {
		return apierr.New(apierr.CodeInvalidRoomID)
	}
	p, err := h.Auth.Request(c, auth.Admin|auth.PushKey, room)
	if err != nil {
		return err
	}
	actor := "admin"
	if p.Kind != auth.KindAdmin {
		actor = "push_key:" + p.KeyID
	}
	c.Locals("coupon.actor", actor)
	return c.Next()
}

func actorOf(c *fiber.Ctx) string { s, _ := c.Locals("coupon.actor").(string); return s }

func (h *HTTP) addr(c *fiber.Ctx) string {
	if h.ClientAddr == nil || auth.IsLoopback(c) {
		return ""
	}
	return h.ClientAddr(c)
}

func (h *HTTP) create(c *fiber.Ctx) error {
	t, err := ParseTemplate(c.Body())
	if err != nil {
		return err
	}
	t.Room = c.Params("room")
	if err := t.Validate(); err != nil {
		return err
	}
	t, err = h.S.Create(c.UserContext(), t, actorOf(c), c.IP())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

// TemplateView is a template with how many are left.
type TemplateView struct {
	Template
	Left int64 `json:"left"`
}

func (h *HTTP) list(c *fiber.Ctx) error {
	room := c.Params("room")
	if !roomid.Valid(room) {
		return apierr.New(apierr.CodeInvalidRoomID)
	}
	ts, err := h.S.Room(c.UserContext(), room)
	if err != nil {
		return err
	}
	out := make([]TemplateView, 0, len(ts))
	for i := range ts {
		left, err := h.S.Left(c.UserContext(), &ts[i])
		if err != nil {
			return apierr.Wrap(apierr.CodeStoreUnavailable, err)
		}
		out = append(out, TemplateView{Template: ts[i], Left: left})
	}
	return c.JSON(fiber.Map{"coupons": out})
}

func (h *HTTP) push(c *fiber.Ctx) error {
	b, err := ParsePush(c.Body())
	if err != nil {
		return err
	}
	t, err := h.S.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if t.Room != c.Params("room") {
		return notFound(c.Params("id"))
	}
	n, err := h.S.Push(c.UserContext(), t.ID, time.Duration(b.Seconds)*time.Second, actorOf(c), c.IP())
	if err != nil {
		return err
	}
	return c.JSON(n)
}

func (h *HTTP) claim(c *fiber.Ctx) error {
	who, ok := auth.IdentityOf(c)
	if !ok {
		return apierr.New(apierr.CodeMissingToken)
	}
	key := c.Get("Idempotency-Key")
	if len(key) > 128 {
		return apierr.E(apierr.CodeInvalidRequest, "Idempotency-Key must be at most 128 bytes")
	}
	t, err := h.S.Template(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if h.Private != nil {
		private, err := h.Private(c, t.Room)
		if err != nil {
			return apierr.Wrap(apierr.CodeStoreUnavailable, err)
		}
		if !who.Admits(t.Room, private) {
			return apierr.E(apierr.CodeRoomForbidden, "the token does not admit room %s", t.Room)
		}
	}
	cl, created, err := h.S.Claim(c.UserContext(), ClaimRequest{CouponID: t.ID, User: who, Key: key, Addr: h.addr(c)})
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(cl)
}

func (h *HTTP) mine(c *fiber.Ctx) error {
	who, ok := auth.IdentityOf(c)
	if !ok {
		return apierr.New(apierr.CodeMissingToken)
	}
	status := c.Query("status")
	switch status {
	case "", StatusClaimed, StatusUsed, StatusVoid:
	default:
		return apierr.E(apierr.CodeInvalidRequest, "status must be claimed, used or void")
	}
	cs, err := h.S.Mine(c.UserContext(), who.UserID, status)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []Claim{}
	}
	return c.JSON(fiber.Map{"claims": cs})
}

func (h *HTTP) stats(c *fiber.Ctx) error {
	st, err := h.S.Stats(c.UserContext(), c.Params("room"))
	if err != nil {
		return err
	}
	return c.JSON(st)
}
