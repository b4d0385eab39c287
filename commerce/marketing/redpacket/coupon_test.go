package redpacket_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/commerce/marketing/redpacket"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestCouponCredit: a packet launched with credit "coupon" gives each
// grabber exactly one claimed amount_off coupon worth the grabbed amount
// (nothing to the wallet), usable on an order for that discount; a
// replayed grab and the settlement at close issue nothing twice, and the
// remainder goes back to the issuer's wallet once. A launch naming a
// missing template, another kind or another currency is refused.
func TestCouponCredit(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s, w := newService(t, b, ns)
		if err := schema.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		pub, err := notice.New(ctx, b.JetStream, ns)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := coupon.New(ctx, coupon.Options{DB: b.SQL, Redis: b.Redis, NS: ns, Notices: pub, Log: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		s.UseCoupons(cs)
		mk := func(k coupon.Kind, cur string) string {
			tpl := coupon.Template{Room: "r1", Title: "red packet " + string(k), Kind: k, AmountMinor: 1, Percent: 10, Currency: cur, Total: 100,
				StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour)}
			if k != coupon.AmountOff {
				tpl.AmountMinor = 0
			}
			c, err := cs.Create(ctx, tpl, "admin", "")
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		tpl := mk(coupon.AmountOff, "CNY")
		spec := func(credit, id string) redpacket.Spec {
			return redpacket.Spec{Room: "r1", Issuer: "shop", Currency: "CNY", TotalMinor: 5000, Packets: 10, MinMinor: 100, Mode: redpacket.Lucky,
				Duration: time.Minute, Credit: credit, CouponID: id}
		}
		for name, sp := range map[string]redpacket.Spec{
			"missing template": spec(redpacket.CreditCoupon, "cp_nope"),
			"percent_off":      spec(redpacket.CreditCoupon, mk(coupon.PercentOff, "CNY")),
			"other currency":   spec(redpacket.CreditCoupon, mk(coupon.AmountOff, "USD")),
			"no template":      spec(redpacket.CreditCoupon, ""),
			"unknown credit":   spec("points", tpl),
		} {
			if _, err := s.Launch(ctx, "rp_bad_"+ns, sp, ""); !errors.Is(err, redpacket.ErrInvalid) {
				t.Errorf("%s: launch answered %v, want invalid", name, err)
			}
		}

		p, err := s.Launch(ctx, "rp_cp_"+ns, spec(redpacket.CreditCoupon, tpl), "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Credit != redpacket.CreditCoupon || p.CouponID != tpl {
			t.Fatalf("packet %+v", p)
		}
		const grabbers = 6
		got := map[string]redpacket.Grab{}
		var sum int64
		for i := 0; i < grabbers; i++ {
			user := fmt.Sprintf("v%d", i)
			g, err := s.Grab(ctx, p.ID, user)
			if err != nil || g.ClaimID == "" {
				t.Fatalf("grab %s: %+v %v", user, g, err)
			}
			again, err := s.Grab(ctx, p.ID, user) // a replayed grab
			if err != nil || !again.Again || again.ClaimID != g.ClaimID || again.AmountMinor != g.AmountMinor {
				t.Fatalf("replayed grab %s: %+v %v (first %+v)", user, again, err, g)
			}
			got[user] = g
			sum += g.AmountMinor
		}
		check := func(when string) {
			t.Helper()
			for user, g := range got {
				mine, err := cs.Mine(ctx, user, coupon.StatusClaimed)
				if err != nil || len(mine) != 1 || mine[0].ID != g.ClaimID || mine[0].AmountMinor != g.AmountMinor || mine[0].Template.AmountMinor != g.AmountMinor {
					t.Fatalf("%s: %s holds %+v (%v), want one coupon of %d", when, user, mine, err, g.AmountMinor)
				}
				if bal, _ := w.Balance(ctx, user, "CNY"); bal != 0 {
					t.Fatalf("%s: %s's wallet got %d in coupon mode", when, user, bal)
				}
			}
			if issued, n, err := cs.IssuedMinor(ctx, "rp:"+p.ID); err != nil || n != grabbers || issued != sum {
				t.Fatalf("%s: issued %d coupons worth %d (%v), want %d worth %d", when, n, issued, err, grabbers, sum)
			}
		}
		check("after the grabs")

		// Settled twice: every grab is issued again (idempotently), the
		// remainder goes back to the issuer once.
		for i := 0; i < 2; i++ {
			c, err := s.Close(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != redpacket.Closed || c.Grabbed != grabbers || c.PaidMinor != sum || c.ReturnedMinor != 5000-sum {
				t.Fatalf("closed: %+v (paid %d)", c, sum)
			}
		}
		if bal, _ := w.Balance(ctx, "shop", "CNY"); bal != 5000-sum {
			t.Fatalf("issuer got %d back, want %d", bal, 5000-sum)
		}
		check("after close")

		// Each coupon takes its grabbed amount off an order.
		for user, g := range got {
			plan, err := cs.Apply(ctx, user, "ord_"+user+"_"+ns, []string{g.ClaimID}, false, "CNY", []order.DiscountLine{{ProductID: "scarf", AmountMinor: 100_000}})
			if err != nil || plan.DiscountMinor != g.AmountMinor {
				t.Fatalf("order of %s: %+v %v, want %d off", user, plan, err, g.AmountMinor)
			}
		}
	})
}
