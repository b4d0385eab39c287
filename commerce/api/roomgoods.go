package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
)

// roomGood is one of a room's products as its drawer shows it: the product
// with its variants and stock left, and what a buyer in the room pays now.
type roomGood struct {
	productView
	// Position is the product's place in the room (0 first), as the
	// anchor ordered it with PUT /api/rooms/{room}/products.
	Position int `json:"position"`
	// Presented is true for the product the room presents now.
	Presented bool `json:"presented"`
	// PriceNowMinor is the unit price charged in this room now (the live
	// price while it applies, else the list price; a variant with its own
	// price is charged that unless a live price applies).
	PriceNowMinor int64 `json:"price_now_minor"`
	// Open is false while the presented product's flash sale has not started.
	Open         bool       `json:"open"`
	SaleStartsAt *time.Time `json:"sale_starts_at,omitempty"`
	SaleEndsAt   *time.Time `json:"sale_ends_at,omitempty"`
}

// roomGoods is every product of room in the anchor's order, for the drawer.
func (h *roomHandler) roomGoods(c *fiber.Ctx, room string, ps []catalog.Product) ([]roomGood, error) {
	var pr *catalog.Presenting
	cur, err := h.d.Catalog.GetPresenting(c.UserContext(), room)
	switch {
	case err == nil:
		pr = &cur
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, mapErr(err)
	}
	now := time.Now()
	out := make([]roomGood, 0, len(ps))
	for i, p := range ps {
		v, err := h.view(c, p)
		if err != nil {
			return nil, err
		}
		g := roomGood{productView: v, Position: i, Open: true, PriceNowMinor: p.PriceMinor}
		if pr != nil && pr.ProductID == p.ID {
			g.Presented = true
			g.PriceNowMinor, g.Open = pr.Price(p, now)
			g.SaleStartsAt, g.SaleEndsAt = pr.SaleStartsAt, pr.SaleEndsAt
		}
		out = append(out, g)
	}
	return out, nil
}

func (h *roomHandler) bindRoom(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	bb, err := ParseBind(c.Body())
	if err != nil {
		return err
	}
	if err := h.d.Catalog.BindRoom(c.UserContext(), room, bb.ProductIDs); err != nil {
		return mapErr(err)
	}
	return h.roomProducts(c)
}

func (h *roomHandler) roomProducts(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	ps, err := h.d.Catalog.RoomProducts(c.UserContext(), room)
	if err != nil {
		return mapErr(err)
	}
	out, err := h.roomGoods(c, room, ps)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"room": room, "products": out})
}

func (h *roomHandler) present(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	if err := checkJSON(c); err != nil {
		return err
	}
	pb, err := ParsePresent(c.Body())
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p, err := h.d.Catalog.Get(ctx, pb.ProductID)
	if err != nil {
		return mapErr(err)
	}
	// Only the room's own products, and never below the admin's floor.
	bound, err := h.d.Catalog.Bound(ctx, room, p.ID)
	if err != nil {
		return mapErr(err)
	}
	a := anchorOf(c)
	refuse := func(err error) error {
		h.d.Log.Warn("presenting refused", "room", room, "product", p.ID, "credential", a.credential(), "key_id", a.KeyID,
			"live_price_minor", pb.LivePriceMinor, "err", err)
		return mapErr(err)
	}
	if !bound {
		return refuse(catalog.ErrNotInRoom)
	}
	if err := p.CheckLivePrice(pb.LivePriceMinor, h.d.LiveMaxDiscount); err != nil {
		return refuse(err)
	}
	if _, err := h.view(c, p); err != nil { // loads stock if needed
		return err
	}
	pr := catalog.Presenting{Room: room, ProductID: p.ID, LivePriceMinor: pb.LivePriceMinor, SaleStartsAt: pb.SaleStartsAt, SaleEndsAt: pb.SaleEndsAt}
	if err := h.d.Catalog.SetPresenting(ctx, pr); err != nil {
		return mapErr(err)
	}
	h.d.Cache.Forget("", room)
	h.d.Log.Info("presenting changed", "room", room, "product", p.ID, "credential", a.credential(), "key_id", a.KeyID,
		"live_price_minor", pb.LivePriceMinor, "price_minor", p.PriceMinor, "sale_starts_at", pb.SaleStartsAt, "sale_ends_at", pb.SaleEndsAt)
	card, err := h.d.Cards.Show(ctx, pr, p)
	if err != nil {
		return mapErr(err)
	}
	return c.JSON(card)
}

func (h *roomHandler) unpresent(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	shown, err := h.d.Catalog.ClearPresenting(c.UserContext(), room)
	if err != nil {
		return mapErr(err)
	}
	h.d.Cache.Forget("", room)
	a := anchorOf(c)
	h.d.Log.Info("presenting cleared", "room", room, "was_shown", shown, "credential", a.credential(), "key_id", a.KeyID)
	if err := h.d.Cards.Hide(c.UserContext(), room); err != nil {
		return mapErr(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *roomHandler) presenting(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	// What a private room presents is for who may enter it (#11.16).
	if private, err := h.d.Rooms.Private(c.UserContext(), room); err != nil {
		return mapErr(err)
	} else if private {
		p, err := h.d.Auth.Request(c, auth.Admin|auth.PushKey|auth.User|auth.AllowAnonymous, room)
		if err != nil {
			return err
		}
		if err := auth.Admit(p, room, true); err != nil {
			return err
		}
	}
	pr, err := h.d.Catalog.GetPresenting(c.UserContext(), room)
	if errors.Is(err, catalog.ErrNotFound) {
		return c.JSON(fiber.Map{"room": room, "shown": false})
	}
	if err != nil {
		return mapErr(err)
	}
	p, err := h.d.Cache.Product(c.UserContext(), pr.ProductID)
	if err != nil {
		return mapErr(err)
	}
	v, err := h.view(c, p)
	if err != nil {
		return err
	}
	card := catalog.Card(pr, p, v.StockLeft)
	for _, vv := range v.Variants {
		card.Variants = append(card.Variants, events.CardVariant{SKU: vv.SKU, Title: vv.Title, Options: vv.Options, PriceMinor: vv.PriceMinor, StockLeft: vv.StockLeft})
	}
	return c.JSON(card)
}

func (h *roomHandler) stats(c *fiber.Ctx) error {
	room, err := roomParam(c)
	if err != nil {
		return err
	}
	st, err := h.d.Orders.Store().Stats(c.UserContext(), room)
	if err != nil {
		return mapErr(err)
	}
	watchers, err := h.d.Tags.Count(c.UserContext(), "watched", room)
	if err != nil {
		return mapErr(err)
	}
	var conversion *float64
	if watchers > 0 {
		v := float64(st.PaidBuyers) / float64(watchers)
		conversion = &v
	}
	return c.JSON(fiber.Map{
		"room": room, "orders": st.Orders, "paid_orders": st.PaidOrders, "buyers": st.Buyers, "paid_buyers": st.PaidBuyers,
		"revenue_minor": st.RevenueMinor, "currency": st.Currency, "watchers": watchers, "conversion": conversion,
	})
}
