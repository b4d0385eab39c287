package presale_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestCancelledShowRefundsEveryTicket: a ShowCancelled event (consumed by
// one of two nodes) refunds every paid ticket of the show, cancels the
// unpaid ones and revokes every entitlement; a reschedule moves the offer.
func TestCancelledShowRefundsEveryTicket(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		ctx := context.Background()
		n := e.nodes[0]
		for _, nd := range e.nodes {
			stop, err := nd.svc.Maintenance.ConsumeShows(ctx, b.JetStream, ns)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
		}
		e.put(t, e.show("gone", presale.Tier{Name: "standard", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 9900},
			presale.Tier{Name: "vip", Quantity: 10, Mode: presale.ModeDeposit, PriceMinor: 29900, DepositMinor: 5000, BalanceDueAt: e.now().Add(time.Hour), DepositRule: presale.DepositForfeit}))
		var paid []presale.Purchase
		for _, u := range []string{"a", "b"} {
			p, err := n.svc.Buy(ctx, "gone", u, presale.BuyRequest{Tier: "standard"}, "")
			if err != nil {
				t.Fatal(err)
			}
			e.paid(t, n, p.Order)
			paid = append(paid, p)
		}
		dep, _ := n.svc.Buy(ctx, "gone", "c", presale.BuyRequest{Tier: "vip"}, "")
		e.paid(t, n, dep.Order)
		depC := dep
		open, _ := n.svc.Buy(ctx, "gone", "d", presale.BuyRequest{Tier: "standard"}, "")
		// e's deposit was forfeited (balance not paid in time): the cancel refunds it too.
		forfeit, _ := n.svc.Buy(ctx, "gone", "e", presale.BuyRequest{Tier: "vip"}, "")
		e.paid(t, n, forfeit.Order)
		if got, err := n.svc.Maintenance.SweepDeposits(ctx, e.now().Add(2*time.Hour)); err != nil || got != 2 {
			t.Fatalf("sweep: %d %v", got, err)
		}
		if r := e.pay.refundsOf(forfeit.Order.ID); len(r) != 0 {
			t.Fatalf("a forfeited deposit was refunded: %+v", r)
		}
		dep = forfeit // c's deposit was released by the same sweep: both are refunded below

		newStart := e.now().Add(72 * time.Hour).Truncate(time.Millisecond)
		publish(t, b.JetStream, events.ShowSubject(ns, events.ShowRescheduled), events.ShowEvent{ID: "ev1", Type: events.ShowRescheduled, Room: "gone", StartsAt: newStart, At: e.now()})
		testenv.Eventually(t, 10*time.Second, func() bool {
			o, err := n.svc.Store().Offer(ctx, "gone")
			return err == nil && o.StartsAt.Equal(newStart)
		}, "the reschedule did not move the offer")

		publish(t, b.JetStream, events.ShowSubject(ns, events.ShowCancelled), events.ShowEvent{ID: "ev2", Type: events.ShowCancelled, Room: "gone", At: e.now()})
		testenv.Eventually(t, 15*time.Second, func() bool {
			return e.count(t, `SELECT count(*) FROM presale_tickets WHERE room = 'gone' AND (status IN ('paid', 'deposit_paid', 'reserved') OR paid_minor > refunded_minor)`) == 0
		}, "tickets still standing after the cancel")
		for i, p := range append(paid, depC, dep) {
			if r := e.pay.refundsOf(p.Order.ID); len(r) != 1 || r[0].Reason != "show_cancelled" {
				t.Fatalf("order %s refunds %+v", p.Order.ID, r)
			}
			tk, _ := n.svc.Store().Ticket(ctx, p.Ticket.ID)
			want := presale.StatusRefunded
			if i >= 2 {
				want = presale.StatusReleased // the two deposits released by the sweep
			}
			if tk.Status != want || tk.Reason != "show_cancelled" {
				t.Fatalf("ticket %d %+v", i, tk)
			}
		}
		if o, _ := n.orders.Get(ctx, open.Order.ID); o.Status != order.Cancelled {
			t.Fatalf("the unpaid order is %s", o.Status)
		}
		if c := e.count(t, `SELECT count(*) FROM presale_entitlements WHERE room = 'gone' AND revoked_at = 0`); c != 0 {
			t.Fatalf("%d entitlements left", c)
		}
		st, _ := n.svc.Analytics.Stats(ctx, "gone")
		if st.Total.Refunds != 4 || st.Total.RefundReasons["show_cancelled"] != 4 || st.Total.RevenueMinor != 0 {
			t.Fatalf("stats total %+v", st.Total)
		}
	})
}

func publish(t *testing.T, js jetstream.JetStream, subject string, ev events.ShowEvent) {
	t.Helper()
	raw, _ := json.Marshal(ev)
	msg := &nats.Msg{Subject: subject, Data: raw, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, ev.ID)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// TestPlacesRebuiltAfterRedisLoss: when Redis loses a tier's places, the
// next buyer rebuilds them from SQL (each held place at its own step), so
// nothing is sold twice nor at the wrong price.
func TestPlacesRebuiltAfterRedisLoss(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("lost", presale.Tier{Name: "standard", Quantity: 3, Mode: presale.ModeTiered,
			Steps: []presale.Step{{Quantity: 2, PriceMinor: 100}, {Quantity: 1, PriceMinor: 200}}}))
		p1, _ := n.svc.Buy(ctx, "lost", "a", presale.BuyRequest{Tier: "standard"}, "")
		e.paid(t, n, p1.Order)
		if _, err := n.svc.Buy(ctx, "lost", "b", presale.BuyRequest{Tier: "standard"}, ""); err != nil {
			t.Fatal(err)
		}
		tag := "{" + ns + ":t:lost/standard}"
		if err := b.Redis.Del(ctx, tag+":st", tag+":r", tag+":u").Err(); err != nil {
			t.Fatal(err)
		}
		p3, err := n.svc.Buy(ctx, "lost", "c", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil || p3.Ticket.PriceMinor != 200 || p3.Ticket.Step != 2 {
			t.Fatalf("after the rebuild: %+v %v", p3.Ticket, err)
		}
		if _, err := n.svc.Buy(ctx, "lost", "d", presale.BuyRequest{Tier: "standard"}, ""); err == nil {
			t.Fatal("a fourth place was sold after the rebuild")
		}
		if _, err := n.svc.Buy(ctx, "lost", "a", presale.BuyRequest{Tier: "standard"}, ""); err == nil {
			t.Fatal("the per-user limit was lost in the rebuild")
		}
	})
}

// TestReconcileReleasesPlacesNoTicketHolds: a place taken in Redis by a
// buyer that crashed before writing its ticket is released by the
// reconcile, once, and only after it was seen so for a minute; places of
// live tickets are kept.
func TestReconcileReleasesPlacesNoTicketHolds(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("crash", presale.Tier{Name: "standard", Quantity: 2, Mode: presale.ModeFull, PriceMinor: 100}))
		if _, err := n.svc.Buy(ctx, "crash", "a", presale.BuyRequest{Tier: "standard"}, ""); err != nil {
			t.Fatal(err)
		}
		if res, err := stock.NewTickets(b.Redis, ns).Reserve(ctx, "crash/standard", "ordt_crashed", "ghost", e.now()); err != nil || res.Code != stock.Done {
			t.Fatal(res, err)
		}
		if v := e.view(t, "crash"); v.Tiers[0].Left != 0 {
			t.Fatalf("left %d", v.Tiers[0].Left)
		}
		now := e.now()
		for _, c := range []struct {
			at   time.Duration
			want int
		}{{0, 0}, {30 * time.Second, 0}, {61 * time.Second, 1}, {3 * time.Minute, 0}} {
			got := 0
			for _, nd := range e.nodes {
				r, err := nd.svc.Maintenance.ReconcilePlaces(ctx, now.Add(c.at))
				if err != nil {
					t.Fatal(err)
				}
				got += r
			}
			if got != c.want {
				t.Fatalf("at +%v released %d, want %d", c.at, got, c.want)
			}
		}
		if v := e.view(t, "crash"); v.Tiers[0].Left != 1 {
			t.Fatalf("left %d after the reconcile, want 1 (a's place kept)", v.Tiers[0].Left)
		}
	})
}
