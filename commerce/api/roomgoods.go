package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/catalog"
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
func (h *Handler) roomGoods(c *fiber.Ctx, room string, ps []catalog.Product) ([]roomGood, error) {
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
