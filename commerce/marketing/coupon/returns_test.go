package coupon

import (
	"context"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestReturnsAndRefunds: an expired order returns its coupons once; a
// refunded order follows each coupon's rule (return: the buyer's again,
// void: spent), and a repeated event changes nothing; an order that was
// not written gives its coupons back (Undo); best_coupons picks the
// combination worth most.
func TestReturnsAndRefunds(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		s := newService(t, b, ns, Rates{})
		ctx := context.Background()
		mk := func(k Kind, refund string, f func(*Template)) string {
			tpl := Template{Room: "r1", Title: string(k) + "-" + refund, Kind: k, Currency: "CNY", Total: 10, Refund: refund,
				StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour)}
			if f != nil {
				f(&tpl)
			}
			created, err := s.Create(ctx, tpl, "admin", "")
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := s.Claim(ctx, ClaimRequest{CouponID: created.ID, User: auth.Identity{UserID: "ann"}})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		back := mk(AmountOff, RefundReturn, func(t *Template) { t.AmountMinor = 1000 })
		spent := mk(FreeShipping, RefundVoid, nil)
		lines := []order.DiscountLine{{ProductID: "scarf", AmountMinor: 29900}}
		status := func(id string) string {
			var st string
			b.SQL.QueryRowContext(ctx, `SELECT status FROM coupon_claims WHERE id = $1`, id).Scan(&st)
			return st
		}

		plan, err := s.Apply(ctx, "ann", "ord_1", []string{back, spent}, false, "CNY", lines)
		if err != nil || plan.DiscountMinor != 1000 || len(plan.Parts) != 2 {
			t.Fatalf("apply: %+v %v", plan, err)
		}
		// Expired: both back, once.
		for i := 0; i < 2; i++ {
			if err := s.OnOrderEvent(ctx, events.OrderEvent{ID: "evt-exp-1", Type: events.OrderExpired, OrderID: "ord_1"}); err != nil {
				t.Fatal(err)
			}
		}
		if status(back) != StatusClaimed || status(spent) != StatusClaimed {
			t.Fatalf("after expiry: %s %s", status(back), status(spent))
		}
		// Refunded: each coupon's rule.
		if _, err := s.Apply(ctx, "ann", "ord_2", []string{back, spent}, false, "CNY", lines); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := s.OnOrderEvent(ctx, events.OrderEvent{ID: "evt-ref-2", Type: events.OrderRefunded, OrderID: "ord_2"}); err != nil {
				t.Fatal(err)
			}
		}
		if status(back) != StatusClaimed || status(spent) != StatusVoid {
			t.Fatalf("after the refund: return rule %s, void rule %s", status(back), status(spent))
		}
		// An order that was not written gives its coupons back.
		if _, err := s.Apply(ctx, "ann", "ord_3", []string{back}, false, "CNY", lines); err != nil {
			t.Fatal(err)
		}
		s.Undo(ctx, "ord_3")
		if status(back) != StatusClaimed {
			t.Fatalf("after undo: %s", status(back))
		}
		// Best: of ann's claimed coupons (amount ¥10 and a 20% one), the 20% is worth more.
		pct := mk(PercentOff, RefundVoid, func(t *Template) { t.Percent = 20 })
		plan, err = s.Apply(ctx, "ann", "ord_4", nil, true, "CNY", lines)
		if err != nil || plan.DiscountMinor != 5980 || len(plan.Parts) != 1 || plan.Parts[0].ClaimID != pct {
			t.Fatalf("best: %+v %v", plan, err)
		}
		// A node that died between applying coupons and writing the order:
		// the coupons come back after the grace, not before.
		if n, err := s.Repair(ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("repair inside the grace: %d %v", n, err)
		}
		if n, err := s.Repair(ctx, -time.Second); err != nil || n != 1 || status(pct) != StatusClaimed {
			t.Fatalf("repair of ord_4 (never written): %d %v, claim %s", n, err, status(pct))
		}
		var audited int
		b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM coupon_audit WHERE actor = 'order:ord_2' AND action LIKE 'refund:%'`).Scan(&audited)
		if audited != 2 {
			t.Fatalf("%d audited refund changes, want 2", audited)
		}
	})
}
