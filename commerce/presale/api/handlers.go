package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

func (h *Handler) putOffer(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if err := checkContentType(c, fiber.MIMEApplicationJSON); err != nil {
		return err
	}
	o, err := presale.ParseOffer(room, c.Body())
	if err != nil {
		return err
	}
	if _, err := h.svc.PutOffer(c.UserContext(), o); err != nil {
		if isInvalid(err) {
			return apierr.E(apierr.CodeInvalidOffer, "%s", err.Error())
		}
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	v, err := h.svc.View(c.UserContext(), room)
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	return c.JSON(v)
}

func (h *Handler) getOffer(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	v, err := h.svc.View(c.UserContext(), room)
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	return c.JSON(v)
}

// ViewBody is the body of POST …/presale/views.
type ViewBody struct {
	Visitor string `json:"visitor"`
	Ref     string `json:"ref,omitempty"`
}

// ParseView reads the body of POST …/presale/views.
func ParseView(b []byte) (ViewBody, error) {
	var v ViewBody
	if err := apierr.DecodeJSON(b, &v); err != nil {
		return ViewBody{}, err
	}
	return v, nil
}

func (h *Handler) postView(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if err := checkContentType(c, fiber.MIMEApplicationJSON); err != nil {
		return err
	}
	v, err := ParseView(c.Body())
	if err != nil {
		return err
	}
	if err := h.svc.Analytics.RecordView(c.UserContext(), room, v.Visitor, v.Ref); err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ParseBuy reads the body of POST …/presale/tickets.
func ParseBuy(b []byte) (presale.BuyRequest, error) {
	var r presale.BuyRequest
	if err := apierr.DecodeJSON(b, &r); err != nil {
		return r, err
	}
	switch {
	case r.Tier == "" || len(r.Tier) > 32:
		return r, apierr.E(apierr.CodeInvalidTicketRequest, "tier is required")
	case r.Pay != "" && r.Pay != presale.ModeFull && r.Pay != presale.ModeDeposit:
		return r, apierr.E(apierr.CodeInvalidTicketRequest, "pay is full or deposit")
	case len(r.Ref) > 64:
		return r, apierr.E(apierr.CodeInvalidTicketRequest, "ref is at most 64 bytes")
	}
	return r, nil
}

func (h *Handler) buy(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	who, err := buyer(c)
	if err != nil {
		return err
	}
	if !h.buys.allow(who.UserID, time.Now()) {
		return apierr.E(apierr.CodeRateLimited, "at most %d ticket attempts per second", BuysPerSecond)
	}
	if err := checkContentType(c, fiber.MIMEApplicationJSON); err != nil {
		return err
	}
	req, err := ParseBuy(c.Body())
	if err != nil {
		return err
	}
	key := c.Get("Idempotency-Key")
	if len(key) > 128 {
		return apierr.E(apierr.CodeInvalidRequest, "Idempotency-Key must be at most 128 bytes")
	}
	p, err := h.svc.Buy(c.UserContext(), room, who.UserID, req, key)
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	c.Location("/api/orders/" + p.Order.ID)
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (h *Handler) balance(c *fiber.Ctx) error {
	who, err := buyer(c)
	if err != nil {
		return err
	}
	id := c.Params("id")
	if len(id) == 0 || len(id) > 64 {
		return apierr.New(apierr.CodeTicketNotFound)
	}
	p, err := h.svc.Balance(c.UserContext(), who.UserID, id)
	if err != nil {
		return mapErr(err, apierr.CodeTicketNotFound)
	}
	c.Location("/api/orders/" + p.Order.ID)
	return c.Status(fiber.StatusCreated).JSON(p)
}

// RefundBody is the body of POST /api/presale/tickets/{id}/refund.
type RefundBody struct {
	Reason string `json:"reason"`
}

func (h *Handler) refund(c *fiber.Ctx) error {
	var b RefundBody
	if err := apierr.JSONBody(c, &b); err != nil {
		return err
	}
	if b.Reason == "" {
		b.Reason = "operator"
	}
	if len(b.Reason) > 64 {
		return apierr.E(apierr.CodeInvalidTicketRequest, "reason is at most 64 bytes")
	}
	t, err := h.svc.RefundTicket(c.UserContext(), c.Params("id"), b.Reason)
	if err != nil {
		return mapErr(err, apierr.CodeTicketNotFound)
	}
	return c.JSON(t)
}

func (h *Handler) myTickets(c *fiber.Ctx) error {
	who, err := buyer(c)
	if err != nil {
		return err
	}
	ts, err := h.svc.MyTickets(c.UserContext(), who.UserID)
	if err != nil {
		return mapErr(err, apierr.CodeTicketNotFound)
	}
	return c.JSON(fiber.Map{"tickets": ts})
}

// PassView is the answer of GET …/presale/pass.
type PassView struct {
	Ticketed  bool     `json:"ticketed"`
	OK        bool     `json:"ok"`
	Tier      string   `json:"tier,omitempty"`
	Sources   []string `json:"sources,omitempty"`
	Comment   bool     `json:"comment"`
	Highlight bool     `json:"highlight"`
}

func (h *Handler) pass(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	who, _ := auth.IdentityOf(c)
	user := who.UserID
	if who.Anonymous {
		user = ""
	}
	ticketed, p, ok, err := h.passes.Pass(c.UserContext(), room, user)
	if err != nil {
		return apierr.Wrap(apierr.CodeTicketsUnavailable, err)
	}
	if who.Admin && ticketed {
		return c.JSON(PassView{Ticketed: true, OK: true, Comment: true})
	}
	return c.JSON(PassView{Ticketed: ticketed, OK: ok, Tier: p.Tier, Sources: p.Sources, Comment: p.Comment, Highlight: p.Highlight})
}

// GrantBody is the body of POST …/presale/entitlements.
type GrantBody struct {
	UserID string `json:"user_id"`
	Tier   string `json:"tier,omitempty"`
}

// ParseGrant reads the body of POST …/presale/entitlements.
func ParseGrant(b []byte) (GrantBody, error) {
	var g GrantBody
	if err := apierr.DecodeJSON(b, &g); err != nil {
		return g, err
	}
	if g.UserID == "" || len(g.UserID) > 128 || len(g.Tier) > 32 {
		return g, apierr.New(apierr.CodeInvalidEntitlement)
	}
	return g, nil
}

func (h *Handler) grant(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if err := checkContentType(c, fiber.MIMEApplicationJSON); err != nil {
		return err
	}
	g, err := ParseGrant(c.Body())
	if err != nil {
		return err
	}
	e, err := h.svc.Entitlements.Grant(c.UserContext(), room, g.UserID, g.Tier, "api")
	if err != nil {
		if isInvalid(err) {
			return apierr.E(apierr.CodeInvalidEntitlement, "%s", err.Error())
		}
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

func (h *Handler) revoke(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	user := c.Params("user")
	if user == "" || len(user) > 128 {
		return apierr.New(apierr.CodeInvalidEntitlement)
	}
	tier := c.Query("tier")
	if err := h.svc.Entitlements.Revoke(c.UserContext(), room, user, tier); err != nil {
		return mapErr(err, apierr.CodeEntitlementNotFound)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) listEntitlements(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	es, err := h.svc.Store().Entitlements(c.UserContext(), room, 10000)
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	return c.JSON(fiber.Map{"entitlements": es})
}

func (h *Handler) importGuests(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if err := checkContentType(c, "text/csv"); err != nil {
		return err
	}
	res, ok, err := h.svc.Entitlements.ImportGuests(c.UserContext(), room, c.Body())
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	if !ok {
		return apierr.E(apierr.CodeInvalidGuestList, "a guest list has at most %d lines", presale.MaxGuestLines)
	}
	return c.JSON(res)
}

func (h *Handler) stats(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	st, err := h.svc.Analytics.Stats(c.UserContext(), room)
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	switch c.Query("format") {
	case "", "json":
		return c.JSON(st)
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="presale-`+room+`.csv"`)
		return c.Send(presale.StatsCSV(st))
	}
	return apierr.E(apierr.CodeInvalidRequest, "format is json or csv")
}

func (h *Handler) referrals(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.Offer(c.UserContext(), room); err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	rs, err := h.svc.Referrals.List(c.UserContext(), room)
	if err != nil {
		return mapErr(err, apierr.CodePresaleNotFound)
	}
	return c.JSON(fiber.Map{"referrals": rs})
}
