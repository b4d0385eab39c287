// Package api is the presale's HTTP surface (Fiber): the operator's offer,
// the public presale page's data, buying tickets and balances, "my
// tickets", the viewer's pass, the whitelist (operator grants, the shop's
// backend, guest-list CSV), refunds, referrals and the analytics (JSON and
// CSV). Handlers parse, authorize, call the presale Service and answer;
// errors map to catalogue codes in one table.
package api

import (
	"errors"
	"mime"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/internal/errmap"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/roomid"
)

// Guard is the credential check the handlers use (the server's one
// *auth.Authenticator).
type Guard interface {
	Request(c *fiber.Ctx, accept auth.Accept, room string) (auth.Principal, error)
	Require(accept auth.Accept) fiber.Handler
}

// Handler serves the presale routes.
type Handler struct {
	svc    *presale.Service
	passes auth.Tickets
	auth   Guard
	buys   *perUser
}

// BuysPerSecond bounds one user's ticket attempts on one node.
const BuysPerSecond = 10

// New returns the handlers over svc; passes answers GET …/presale/pass.
func New(svc *presale.Service, passes auth.Tickets, g Guard) *Handler {
	return &Handler{svc: svc, passes: passes, auth: g, buys: &perUser{limit: BuysPerSecond, m: map[string]*window{}}}
}

// Mount registers the presale routes on r.
func (h *Handler) Mount(r fiber.Router) {
	admin := h.auth.Require(auth.Admin)
	user := h.auth.Require(auth.User | auth.Admin)
	anyone := h.auth.Require(auth.User | auth.Admin | auth.AllowAnonymous)
	operator := h.requireOperator

	r.Put("/api/rooms/:room/presale", operator, h.putOffer)
	r.Get("/api/rooms/:room/presale", h.getOffer)
	r.Post("/api/rooms/:room/presale/views", h.postView)
	r.Post("/api/rooms/:room/presale/tickets", user, h.buy)
	r.Get("/api/rooms/:room/presale/pass", anyone, h.pass)
	r.Get("/api/rooms/:room/presale/entitlements", operator, h.listEntitlements)
	r.Post("/api/rooms/:room/presale/entitlements", operator, h.grant)
	r.Delete("/api/rooms/:room/presale/entitlements/:user", operator, h.revoke)
	r.Post("/api/rooms/:room/presale/guests", operator, h.importGuests)
	r.Get("/api/rooms/:room/presale/stats", operator, h.stats)
	r.Get("/api/rooms/:room/presale/referrals", operator, h.referrals)
	r.Post("/api/presale/tickets/:id/balance", user, h.balance)
	r.Post("/api/presale/tickets/:id/refund", admin, h.refund)
	r.Get("/api/me/presale/tickets", user, h.myTickets)
}

// requireOperator admits the admin token or the push key of the room in the path.
func (h *Handler) requireOperator(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if _, err := h.auth.Request(c, auth.Admin|auth.PushKey, room); err != nil {
		return err
	}
	return c.Next()
}

func roomParam(c *fiber.Ctx) (string, error) {
	v := c.Params("room")
	if !roomid.Valid(v) {
		return "", apierr.New(apierr.CodeInvalidRoomID)
	}
	return v, nil
}

// buyer is the request's user (admin tokens do not buy).
func buyer(c *fiber.Ctx) (auth.Identity, error) {
	who, ok := auth.IdentityOf(c)
	if !ok {
		return who, apierr.New(apierr.CodeMissingToken)
	}
	if who.Admin {
		return who, apierr.New(apierr.CodeBuyerOnly)
	}
	return who, nil
}

func checkContentType(c *fiber.Ctx, want string) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !strings.EqualFold(mt, want) {
			return apierr.E(apierr.CodeUnsupportedMediaType, "send %s", want)
		}
	}
	return nil
}

// errTable maps presale and order errors to catalogue codes; a Quiet row
// hides the domain's message.
var errTable = []errmap.Code{
	{Err: presale.ErrBadVisitor, Code: apierr.CodeInvalidView, Quiet: true},
	{Err: presale.ErrInvalid, Code: apierr.CodeInvalidTicketRequest},
	{Err: presale.ErrNoTier, Code: apierr.CodeTierNotFound, Quiet: true},
	{Err: presale.ErrSoldOut, Code: apierr.CodeTierSoldOut, Quiet: true},
	{Err: presale.ErrLimit, Code: apierr.CodeTicketLimit, Quiet: true},
	{Err: presale.ErrClosed, Code: apierr.CodeSalesClosed, Quiet: true},
	{Err: presale.ErrBadState, Code: apierr.CodeTicketState},
	{Err: presale.ErrBalanceLate, Code: apierr.CodeBalanceClosed, Quiet: true},
	{Err: presale.ErrInFlight, Code: apierr.CodeTicketsUnavailable, Quiet: true},
	{Err: order.ErrBadState, Code: apierr.CodeStateConflict},
	{Err: order.ErrInvalid, Code: apierr.CodeInvalidRequest},
	{Err: order.ErrNotFound, Code: apierr.CodeOrderNotFound},
	{Err: stock.ErrUnavailable, Code: apierr.CodeTicketsUnavailable, Quiet: true},
}

// mapErr turns a domain error into a catalogue error (others are 500).
func mapErr(err error, notFound apierr.Code) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, presale.ErrNotFound) {
		return apierr.New(notFound)
	}
	return errmap.Map(err, errTable)
}

// perUser is a fixed-window limit of attempts per user on this node.
type perUser struct {
	mu    sync.Mutex
	limit int
	m     map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func (l *perUser) allow(user string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100_000 {
		l.m = map[string]*window{}
	}
	w := l.m[user]
	if w == nil || now.Sub(w.start) >= time.Second {
		l.m[user] = &window{start: now, n: 1}
		return true
	}
	w.n++
	return w.n <= l.limit
}

func isInvalid(err error) bool { return errors.Is(err, presale.ErrInvalid) }
