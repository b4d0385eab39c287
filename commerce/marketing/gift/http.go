package gift

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

var errTable = []guard.Code{
	{Err: ErrInvalid, Code: apierr.CodeGiftInvalid},
	{Err: ErrNotFound, Code: apierr.CodeGiftNotFound},
	{Err: wallet.ErrInsufficient, Code: apierr.CodeWalletInsufficient},
	{Err: wallet.ErrInvalid, Code: apierr.CodeWalletInvalid},
	{Err: order.ErrInvalid, Code: apierr.CodeInvalidRequest},
	{Err: order.ErrIdempotencyReuse, Code: apierr.CodeIdempotencyKeyReused},
}

// sendBody is the body of POST /api/rooms/{room}/gifts.
type sendBody struct {
	GiftID string `json:"gift_id"`
	Count  int    `json:"count"`
	// Pay is "wallet" (debit the prepaid wallet) or "order" (an order to
	// pay through a provider, POST /api/orders/{id}/pay).
	Pay string `json:"pay"`
}

// ParseSend decodes the body of a gift.
func ParseSend(body []byte) (giftID string, count int, pay string, err error) {
	var b sendBody
	if err := apierr.DecodeJSON(body, &b); err != nil {
		return "", 0, "", err
	}
	if b.Pay == "" {
		b.Pay = ViaOrder
	}
	if b.Pay != ViaOrder && b.Pay != ViaWallet {
		return "", 0, "", apierr.E(apierr.CodeGiftInvalid, "pay is order or wallet")
	}
	if b.GiftID == "" || b.Count < 0 || b.Count > 9999 {
		return "", 0, "", apierr.E(apierr.CodeGiftInvalid, "gift_id is required and count is 1 to 9999")
	}
	return b.GiftID, b.Count, b.Pay, nil
}

// ParseGift decodes a catalogue gift.
func ParseGift(id string, body []byte) (Gift, error) {
	var g Gift
	if err := apierr.DecodeJSON(body, &g); err != nil {
		return g, err
	}
	g.ID = id
	if err := g.Check(); err != nil {
		return g, guard.MapErr(err, errTable)
	}
	return g, nil
}

// ParseRule decodes a tipping rule of room.
func ParseRule(room string, body []byte) (Rule, error) {
	var r Rule
	if err := apierr.DecodeJSON(body, &r); err != nil {
		return r, err
	}
	r.Room, r.ID = room, ""
	if err := r.Check(); err != nil {
		return r, guard.MapErr(err, errTable)
	}
	return r, nil
}

// ParseTopUp decodes a top-up.
func ParseTopUp(body []byte) (int64, string, error) {
	var b struct {
		AmountMinor int64  `json:"amount_minor"`
		Currency    string `json:"currency"`
	}
	if err := apierr.DecodeJSON(body, &b); err != nil {
		return 0, "", err
	}
	if b.AmountMinor < 1 || b.AmountMinor > 100_000_000 || len(b.Currency) != 3 {
		return 0, "", apierr.E(apierr.CodeWalletInvalid, "amount_minor is 1 to 1e8 and currency a 3-letter code")
	}
	return b.AmountMinor, b.Currency, nil
}

// Handler serves the gift and wallet routes.
type Handler struct {
	S      *Service
	Wallet *wallet.Store
	Auth   guard.Auth
	Guard  *guard.Guard
	Rooms  guard.Rooms
}

// Mount registers the routes on r.
func (h *Handler) Mount(r fiber.Router) {
	r.Get("/api/gifts", h.catalogue)
	r.Put("/api/gifts/:id", h.put)
	r.Post("/api/rooms/:room/gifts", h.send)
	r.Get("/api/rooms/:room/gifts/leaderboard", h.leaderboard)
	r.Get("/api/rooms/:room/gifts/income", h.income)
	r.Get("/api/rooms/:room/gifts/rules", h.rules)
	r.Post("/api/rooms/:room/gifts/rules", h.addRule)
	r.Get("/api/rooms/:room/gifts/unlocks/me", h.unlocks)
	r.Get("/api/me/wallet", h.wallet)
	r.Post("/api/me/wallet/topups", h.topUp)
}

func (h *Handler) catalogue(c *fiber.Ctx) error {
	gs, err := h.S.Store().Catalogue(c.UserContext())
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"gifts": gs})
}

func (h *Handler) put(c *fiber.Ctx) error {
	if _, err := h.Auth.Request(c, auth.Admin, ""); err != nil {
		return err
	}
	g, err := ParseGift(c.Params("id"), c.Body())
	if err != nil {
		return err
	}
	if err := h.S.Store().Put(c.UserContext(), g); err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(g)
}

func (h *Handler) send(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	room, err := guard.Room(c, h.Rooms)
	if err != nil {
		return err
	}
	giftID, count, pay, err := ParseSend(c.Body())
	if err != nil {
		return err
	}
	act := guard.Act{Action: "gift.send", UserID: p.UserID, Room: room, Target: giftID}
	act, err = h.Guard.Admit(c, act, guard.GiftLimits)
	if err != nil {
		return err
	}
	key := c.Get("Idempotency-Key")
	if key == "" {
		return apierr.E(apierr.CodeGiftInvalid, "an Idempotency-Key header is required (one per gift, reused on retry)")
	}
	r := Request{Room: room, User: p.UserID, SenderName: p.Name, GiftID: giftID, Count: count, IdemKey: key}
	if pay == ViaWallet {
		x, err := h.S.SendFromWallet(c.UserContext(), r)
		if err != nil {
			h.Guard.Record(c.UserContext(), act, "refused", err.Error())
			return guard.MapErr(err, errTable)
		}
		h.Guard.Record(c.UserContext(), act, "sent", x.ID)
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"sent": x})
	}
	o, err := h.S.Order(c.UserContext(), r)
	if err != nil {
		return guard.MapErr(err, errTable)
	}
	h.Guard.Record(c.UserContext(), act, "ordered", o.ID)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"order": o})
}

func since(c *fiber.Ctx) (time.Time, error) {
	s := c.Query("since")
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, apierr.E(apierr.CodeInvalidRequest, "since is an RFC 3339 time (the show's start)")
	}
	return t, nil
}

func (h *Handler) leaderboard(c *fiber.Ctx) error {
	room, err := guard.Room(c, h.Rooms)
	if err != nil {
		return err
	}
	t, err := since(c)
	if err != nil {
		return err
	}
	rs, err := h.S.Store().Leaderboard(c.UserContext(), room, t, 20)
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"ranks": rs})
}

func (h *Handler) income(c *fiber.Ctx) error {
	_, room, err := guard.Anchor(c, h.Auth, h.Rooms)
	if err != nil {
		return err
	}
	t, err := since(c)
	if err != nil {
		return err
	}
	l, tot, err := h.S.Store().Ledger(c.UserContext(), room, t, 200)
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"gifts": l, "totals": tot})
}

func (h *Handler) rules(c *fiber.Ctx) error {
	room, err := guard.Room(c, h.Rooms)
	if err != nil {
		return err
	}
	rs, err := h.S.Store().Rules(c.UserContext(), room)
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"rules": rs})
}

func (h *Handler) addRule(c *fiber.Ctx) error {
	_, room, err := guard.Anchor(c, h.Auth, h.Rooms)
	if err != nil {
		return err
	}
	r, err := ParseRule(room, c.Body())
	if err != nil {
		return err
	}
	r, err = h.S.AddRule(c.UserContext(), r)
	if err != nil {
		return guard.MapErr(err, errTable)
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *Handler) unlocks(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	room, err := guard.Room(c, h.Rooms)
	if err != nil {
		return err
	}
	rs, err := h.S.Store().Unlocks(c.UserContext(), room, p.UserID)
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"unlocks": rs})
}

func (h *Handler) wallet(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	bs, err := h.Wallet.Balances(c.UserContext(), p.UserID)
	if err != nil {
		return apierr.Internal(err)
	}
	es, err := h.Wallet.Ledger(c.UserContext(), p.UserID, 50)
	if err != nil {
		return apierr.Internal(err)
	}
	if es == nil {
		es = []wallet.Entry{}
	}
	return c.JSON(fiber.Map{"balances": bs, "entries": es})
}

func (h *Handler) topUp(c *fiber.Ctx) error {
	p, err := guard.Viewer(c, h.Auth)
	if err != nil {
		return err
	}
	amount, currency, err := ParseTopUp(c.Body())
	if err != nil {
		return err
	}
	key := c.Get("Idempotency-Key")
	if key == "" || len(key) > 120 {
		return apierr.E(apierr.CodeWalletInvalid, "an Idempotency-Key header (at most 120 bytes) is required")
	}
	o, err := h.S.TopUp(c.UserContext(), p.UserID, key, amount, currency)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return apierr.E(apierr.CodeWalletInvalid, "%s", err.Error())
		}
		return guard.MapErr(err, errTable)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"order": o})
}
