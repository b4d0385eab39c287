package coupon

import (
	"context"
	"slices"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/apierr"
)

// Apply is order.Discounts: it checks the buyer's coupons with Combine
// (or chooses the best combination of the buyer's claimed coupons), marks
// them used by the order in one transaction and returns each line's share.
func (s *Service) Apply(ctx context.Context, user, orderID string, coupons []string, best bool, currency string, lines []order.DiscountLine) (order.DiscountPlan, error) {
	if len(coupons) > MaxPerOrder {
		return order.DiscountPlan{}, apierr.E(apierr.CodeCouponTooMany, "at most %d coupons per order", MaxPerOrder)
	}
	ls := make([]Line, len(lines))
	for i, l := range lines {
		ls[i] = Line{ProductID: l.ProductID, AmountMinor: l.AmountMinor}
	}
	mine, err := s.Mine(ctx, user, "")
	if err != nil {
		return order.DiscountPlan{}, err
	}
	usable := func(c *Claim) bool {
		return c.Template != nil && c.Template.ID != "" && (c.Status == StatusClaimed || (c.Status == StatusUsed && c.OrderID == orderID))
	}
	now := s.o.Now()
	var plan Plan
	var picks []Pick
	if best {
		var cands []Pick
		for i := range mine {
			if usable(&mine[i]) {
				cands = append(cands, Pick{ClaimID: mine[i].ID, Template: mine[i].Template})
			}
		}
		var ok bool
		if plan, picks, ok = Best(ls, currency, cands, now); !ok {
			return order.DiscountPlan{}, nil
		}
	} else {
		seen := map[string]bool{}
		for _, id := range coupons {
			if seen[id] {
				return order.DiscountPlan{}, apierr.E(apierr.CodeCouponStackKind, "coupon %s is named twice", id)
			}
			seen[id] = true
			i := slices.IndexFunc(mine, func(c Claim) bool { return c.ID == id })
			if i < 0 || !usable(&mine[i]) {
				return order.DiscountPlan{}, errNotClaimed(id)
			}
			picks = append(picks, Pick{ClaimID: id, Template: mine[i].Template})
		}
		if plan, err = Combine(ls, currency, picks, now); err != nil {
			return order.DiscountPlan{}, err
		}
	}
	ids := make([]string, len(picks))
	for i, p := range picks {
		ids[i] = p.ClaimID
	}
	if err := s.store.use(ctx, user, orderID, ids, now); err != nil {
		return order.DiscountPlan{}, err
	}
	out := order.DiscountPlan{DiscountMinor: plan.DiscountMinor}
	for _, a := range plan.Applied {
		for i, d := range a.Lines {
			if d > 0 {
				out.Parts = append(out.Parts, order.LineDiscount{Line: i, ProductID: lines[i].ProductID, SKU: lines[i].SKU, ClaimID: a.ClaimID, CouponID: a.TemplateID, DiscountMinor: d})
			}
		}
		if a.DiscountMinor == 0 { // free shipping: recorded with a zero share
			out.Parts = append(out.Parts, order.LineDiscount{Line: 0, ProductID: lines[0].ProductID, SKU: lines[0].SKU, ClaimID: a.ClaimID, CouponID: a.TemplateID})
		}
	}
	return out, nil
}

// Undo is order.Discounts: the coupons of an order that was not written
// are the buyer's again.
func (s *Service) Undo(ctx context.Context, orderID string) {
	if _, err := s.store.release(context.WithoutCancel(ctx), orderID, StatusClaimed, nil, s.o.Now(), "undo"); err != nil {
		s.log.Warn("coupons of an unwritten order not returned", "order", orderID, "err", err)
	}
}

// Return gives the coupons of a cancelled or expired order back to the
// buyer (once: a second call finds nothing used by the order).
func (s *Service) Return(ctx context.Context, orderID, why string) (int, error) {
	return s.store.release(ctx, orderID, StatusClaimed, nil, s.o.Now(), why)
}

// Refunded applies the refund rule of each coupon of a refunded order:
// RefundReturn gives it back, RefundVoid spends it.
func (s *Service) Refunded(ctx context.Context, orderID string) (int, error) {
	used, err := s.store.claims(ctx, "order_id = $1 AND status = $2", orderID, StatusUsed)
	if err != nil {
		return 0, err
	}
	back := map[string]bool{} // template → its refund gives the coupon back
	for _, c := range used {
		if _, ok := back[c.TemplateID]; !ok {
			t, err := s.store.template(ctx, c.TemplateID)
			back[c.TemplateID] = err == nil && t.Refund == RefundReturn
		}
	}
	return s.store.release(ctx, orderID, StatusClaimed, func(tpl string) bool { return back[tpl] }, s.o.Now(), "refund")
}
