package order

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Discounts applies a buyer's claimed coupons to a new order
// (commerce/marketing/coupon); nil: orders take no coupons.
type Discounts interface {
	// Apply reserves coupons (or, with best, the best combination of the
	// user's claimed coupons) for order and computes each line's discount
	// (lines as given), or refuses naming the rule broken.
	Apply(ctx context.Context, user, order string, coupons []string, best bool, currency string, lines []DiscountLine) (DiscountPlan, error)
	// Undo gives the coupons of an order that was not written back.
	Undo(ctx context.Context, order string)
}

// DiscountLine is an order line as coupons see it.
type DiscountLine struct {
	ProductID   string
	SKU         string
	AmountMinor int64
}

// DiscountPlan is what coupons take off an order.
type DiscountPlan struct {
	DiscountMinor int64
	Parts         []LineDiscount
}

// LineDiscount is one coupon's share of one order line.
type LineDiscount struct {
	Line          int    `json:"line"`
	ProductID     string `json:"product_id"`
	SKU           string `json:"sku,omitempty"`
	ClaimID       string `json:"claim_id"`
	CouponID      string `json:"coupon_id"`
	DiscountMinor int64  `json:"discount_minor"`
}

// couponsHash is the part of a request's identity its coupons add.
func couponsHash(coupons []string, best bool) string {
	if len(coupons) == 0 && !best {
		return ""
	}
	s := "\x00c:" + strings.Join(coupons, ",")
	if best {
		s += "\x00best"
	}
	return s
}

// discount applies r's coupons to o (AmountMinor becomes what is charged).
func (s *Service) discount(ctx context.Context, o *Order, coupons []string, best bool) error {
	if len(coupons) == 0 && !best {
		return nil
	}
	if s.opt.Discounts == nil {
		return fmt.Errorf("%w: this server takes no coupons", ErrInvalid)
	}
	items := o.Items()
	lines := make([]DiscountLine, len(items))
	for i, l := range items {
		lines[i] = DiscountLine{ProductID: l.ProductID, SKU: l.SKU, AmountMinor: l.AmountMinor}
	}
	plan, err := s.opt.Discounts.Apply(ctx, o.UserID, o.ID, coupons, best, o.Currency, lines)
	if err != nil {
		return err
	}
	o.DiscountMinor = plan.DiscountMinor
	o.AmountMinor -= plan.DiscountMinor
	o.Discounts = plan.Parts
	return nil
}

// insertDiscounts writes o's per-line discounts inside tx.
func insertDiscounts(ctx context.Context, tx *sql.Tx, o *Order) error {
	for _, d := range o.Discounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO commerce_order_discounts (order_id, line, product_id, sku, claim_id, coupon_id, discount_minor) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			o.ID, d.Line, d.ProductID, d.SKU, d.ClaimID, d.CouponID, d.DiscountMinor); err != nil {
			return fmt.Errorf("order: insert discount: %w", err)
		}
	}
	return nil
}
