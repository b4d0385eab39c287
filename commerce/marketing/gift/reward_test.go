package gift_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/commerce/marketing/gift"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestTipRuleCoupon: a tipping rule rewarding a coupon issues it once to
// the viewer whose paid gifts (a callback replayed four times, the event
// applied again, a second gift past the threshold) reach the threshold,
// and none to a viewer below it; a rule naming a missing coupon is refused.
func TestTipRuleCoupon(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns)
		h.g.UseCoupons(h.c.Coupons)
		st := h.g.Store()
		if err := st.Put(ctx, gift.Gift{ID: "rocket", Name: "火箭", PriceMinor: 5000, Currency: "CNY", Tier: 4}); err != nil {
			t.Fatal(err)
		}
		tpl, err := h.c.Coupons.Create(ctx, coupon.Template{Room: "r1", Title: "fan coupon", Kind: coupon.AmountOff, AmountMinor: 2000, Currency: "CNY",
			Total: 100, PerUser: 5, StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour)}, "admin", "")
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]gift.Rule{
			"missing coupon": {Room: "r1", ThresholdMinor: 10000, Currency: "CNY", Reward: gift.RewardCoupon, CouponID: "cp_nope"},
			"no coupon id":   {Room: "r1", ThresholdMinor: 10000, Currency: "CNY", Reward: gift.RewardCoupon},
			"another room":   {Room: "r2", ThresholdMinor: 10000, Currency: "CNY", Reward: gift.RewardCoupon, CouponID: tpl.ID},
		} {
			if _, err := h.g.AddRule(ctx, r); !errors.Is(err, gift.ErrInvalid) {
				t.Errorf("%s: rule answered %v, want invalid", name, err)
			}
		}
		rule, err := h.g.AddRule(ctx, gift.Rule{Room: "r1", ThresholdMinor: 10000, Currency: "CNY", Reward: gift.RewardCoupon, CouponID: tpl.ID})
		if err != nil {
			t.Fatal(err)
		}
		coupons := func(user string) []coupon.Claim {
			cs, err := h.c.Coupons.Mine(ctx, user, "")
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		send := func(user, key string, count int, txn string) {
			o, err := h.g.Order(ctx, gift.Request{Room: "r1", User: user, GiftID: "rocket", Count: count, IdemKey: key})
			if err != nil {
				t.Fatal(err)
			}
			h.pay(o.ID, user, o.AmountMinor, "CNY", txn)
			testenv.Eventually(t, 10*time.Second, func() bool {
				l, _, _ := st.Ledger(ctx, "r1", time.Time{}, 100)
				for _, x := range l {
					if x.Sender == user && x.Count == count {
						return true
					}
				}
				return false
			}, "the paid gift never reached the ledger")
			paid, err := h.c.Orders.Get(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ { // a JetStream redelivery
				if err := h.g.ApplyOrderEvent(ctx, paid.Event(events.OrderPaid)); err != nil {
					t.Fatal(err)
				}
			}
		}
		send("bob", "b1", 1, "tx-bob-1") // 5000: below the threshold
		send("alice", "a1", 2, "tx-alice-1")
		testenv.Eventually(t, 5*time.Second, func() bool { return len(coupons("alice")) > 0 }, "no coupon reward")
		send("alice", "a2", 3, "tx-alice-2") // past the threshold again
		cs := coupons("alice")
		if len(cs) != 1 || cs[0].TemplateID != tpl.ID || cs[0].Status != coupon.StatusClaimed || cs[0].Template.AmountMinor != 2000 {
			t.Fatalf("alice holds %+v, want one claimed %s", cs, tpl.ID)
		}
		if n := len(coupons("bob")); n != 0 {
			t.Fatalf("bob, below the threshold, holds %d coupons", n)
		}
		if un, _ := st.Unlocks(ctx, "r1", "alice"); len(un) != 1 || un[0].ID != rule.ID || un[0].CouponID != tpl.ID {
			t.Fatalf("unlocks %+v", un)
		}
	})
}
