package presale_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestEarlyBirdStepsUnderContention: 2,000 buyers at once for 100
// early-bird places at ¥49 and 100 at ¥69 get exactly 100 at each price,
// and nobody gets the lower price beyond its quantity.
func TestEarlyBirdStepsUnderContention(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		e.put(t, e.show("launch", presale.Tier{Name: "standard", Quantity: 200, Mode: presale.ModeTiered, Comment: true,
			Steps: []presale.Step{{Quantity: 100, PriceMinor: 4900}, {Quantity: 100, PriceMinor: 6900}}}))
		const buyers = 2000
		var wg sync.WaitGroup
		type result struct {
			p   presale.Purchase
			err error
		}
		results := make([]result, buyers)
		start := make(chan struct{})
		for i := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				n := e.nodes[i%2]
				// A buyer retries what the API answers 503 (the store is
				// busy: a loaded box queues 2,000 callers on its pool),
				// with the same idempotency key, as a client does.
				var p presale.Purchase
				var err error
				for try := 0; try < 50; try++ {
					p, err = n.svc.Buy(context.Background(), "launch", fmt.Sprintf("u%04d", i), presale.BuyRequest{Tier: "standard"}, "k")
					if !errors.Is(err, stock.ErrUnavailable) && !errors.Is(err, presale.ErrInFlight) {
						break
					}
					time.Sleep(time.Duration(50+try*20) * time.Millisecond)
				}
				results[i] = result{p, err}
			}()
		}
		close(start)
		wg.Wait()
		byPrice := map[int64]int{}
		soldOut := 0
		for _, r := range results {
			switch {
			case r.err == nil:
				byPrice[r.p.Ticket.PriceMinor]++
				if r.p.Order.AmountMinor != r.p.Ticket.PriceMinor {
					t.Fatalf("order %s charges %d for a ticket at %d", r.p.Order.ID, r.p.Order.AmountMinor, r.p.Ticket.PriceMinor)
				}
				if want := int64(4900); r.p.Ticket.Step == 2 {
					if r.p.Ticket.PriceMinor == want {
						t.Fatalf("step 2 at the step 1 price")
					}
				}
			case errors.Is(r.err, presale.ErrSoldOut):
				soldOut++
			default:
				t.Fatalf("buy: %v", r.err)
			}
		}
		if byPrice[4900] != 100 || byPrice[6900] != 100 || len(byPrice) != 2 || soldOut != buyers-200 {
			t.Fatalf("prices %v, sold out %d; want 100 at 4900, 100 at 6900, %d sold out", byPrice, soldOut, buyers-200)
		}
		// SQL agrees: 100 ticket rows and 100 orders at each price.
		for _, price := range []int64{4900, 6900} {
			if n := e.count(t, `SELECT count(*) FROM presale_tickets WHERE room = 'launch' AND price_minor = $1`, price); n != 100 {
				t.Fatalf("%d tickets at %d in SQL", n, price)
			}
			if n := e.count(t, `SELECT count(*) FROM commerce_orders WHERE room = 'launch' AND amount_minor = $1 AND status = 'PENDING'`, price); n != 100 {
				t.Fatalf("%d orders at %d in SQL", n, price)
			}
		}
		v := e.view(t, "launch")
		if tv := v.Tiers[0]; tv.Left != 0 || tv.Sold != 200 || tv.Steps[0].Sold != 100 || tv.Steps[1].Sold != 100 || tv.SalesOpen {
			t.Fatalf("view after the sale: %+v", tv)
		}
	})
}

// TestPriceStepByTime: an early-bird step that ends at a time gives way to
// the next price then, even with places left in it.
func TestPriceStepByTime(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		e.put(t, e.show("timed", presale.Tier{Name: "standard", Quantity: -1, Mode: presale.ModeTiered,
			Steps: []presale.Step{{Quantity: 100, Until: e.now().Add(time.Hour), PriceMinor: 4900}, {PriceMinor: 6900}}}))
		p1, err := e.nodes[0].svc.Buy(ctx, "timed", "a", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil || p1.Ticket.PriceMinor != 4900 {
			t.Fatalf("early buyer: %+v %v", p1.Ticket, err)
		}
		e.advance(time.Hour)
		p2, err := e.nodes[0].svc.Buy(ctx, "timed", "b", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil || p2.Ticket.PriceMinor != 6900 || p2.Order.AmountMinor != 6900 {
			t.Fatalf("late buyer: %+v %v", p2.Ticket, err)
		}
		if v := e.view(t, "timed"); v.Tiers[0].PriceMinor != 6900 || !v.Tiers[0].Steps[0].Ended || !v.Tiers[0].Steps[1].Current || v.Tiers[0].Left != -1 {
			t.Fatalf("view: %+v", v.Tiers[0])
		}
	})
}

// TestSalesWindowAndLimit: outside its window a tier does not sell; a
// buyer gets one place per tier; a retried request with the same
// idempotency key answers the same ticket.
func TestSalesWindowAndLimit(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		svc := e.nodes[0].svc
		e.put(t, e.show("window", presale.Tier{Name: "standard", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 9900,
			SalesStartsAt: e.now().Add(time.Hour), SalesEndsAt: e.now().Add(2 * time.Hour)}))
		if _, err := svc.Buy(ctx, "window", "a", presale.BuyRequest{Tier: "standard"}, ""); !errors.Is(err, presale.ErrClosed) {
			t.Fatalf("before the window: %v", err)
		}
		e.advance(time.Hour)
		p, err := svc.Buy(ctx, "window", "a", presale.BuyRequest{Tier: "standard"}, "k1")
		if err != nil {
			t.Fatal(err)
		}
		again, err := svc.Buy(ctx, "window", "a", presale.BuyRequest{Tier: "standard"}, "k1")
		if err != nil || again.Ticket.ID != p.Ticket.ID || again.Order.ID != p.Order.ID {
			t.Fatalf("retry: %+v %v (first %s)", again.Ticket, err, p.Ticket.ID)
		}
		if _, err := svc.Buy(ctx, "window", "a", presale.BuyRequest{Tier: "standard"}, "k2"); !errors.Is(err, presale.ErrLimit) {
			t.Fatalf("second ticket: %v", err)
		}
		if _, err := svc.Buy(ctx, "window", "a", presale.BuyRequest{Tier: "nosuch"}, ""); !errors.Is(err, presale.ErrNoTier) {
			t.Fatalf("unknown tier: %v", err)
		}
		e.advance(time.Hour)
		if _, err := svc.Buy(ctx, "window", "b", presale.BuyRequest{Tier: "standard"}, ""); !errors.Is(err, presale.ErrClosed) {
			t.Fatalf("after the window: %v", err)
		}
	})
}

// TestUnpaidTicketExpiresAndReturns: an unpaid ticket order expires with
// the order sweeper; its place returns to its own price step.
func TestUnpaidTicketExpiresAndReturns(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("expiry", presale.Tier{Name: "standard", Quantity: 2, Mode: presale.ModeTiered,
			Steps: []presale.Step{{Quantity: 1, PriceMinor: 100}, {Quantity: 1, PriceMinor: 200}}}))
		p, err := n.svc.Buy(ctx, "expiry", "a", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil || p.Ticket.PriceMinor != 100 {
			t.Fatal(p.Ticket, err)
		}
		if got, err := n.orders.Maintenance.Sweep(ctx, p.Order.ExpiresAt.Add(time.Second)); err != nil || got != 1 {
			t.Fatalf("sweep: %d %v", got, err)
		}
		tk, err := n.svc.Store().Ticket(ctx, p.Ticket.ID)
		if err != nil || tk.Status != presale.StatusReleased || tk.Reason != "expired" {
			t.Fatalf("ticket after expiry: %+v %v", tk, err)
		}
		p2, err := n.svc.Buy(ctx, "expiry", "b", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil || p2.Ticket.PriceMinor != 100 {
			t.Fatalf("the released early-bird place: %+v %v", p2.Ticket, err)
		}
	})
}

// TestEntitlementInPaymentTransaction: the entitlement is written in the
// payment's transaction — when it cannot be written the payment is not
// applied either (and applies whole on the provider's retry) — with its
// event, which another node consumes.
func TestEntitlementInPaymentTransaction(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("tx", presale.Tier{Name: "vip", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 19900, Sources: []string{"backstage"}, Comment: true, Highlight: true}))
		p, err := n.svc.Buy(ctx, "tx", "fan", presale.BuyRequest{Tier: "vip"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if ticketed, _, ok, err := e.nodes[1].passes.Pass(ctx, "tx", "fan"); err != nil || !ticketed || ok {
			t.Fatalf("before paying: ticketed %v ok %v err %v", ticketed, ok, err)
		}
		seen := e.nodes[1].passes.Seen()
		// The entitlement cannot be written: the payment rolls back with it.
		if _, err := b.SQL.ExecContext(ctx, `ALTER TABLE presale_entitlements RENAME TO presale_entitlements_away`); err != nil {
			t.Fatal(err)
		}
		co, err := n.orders.Payments.Pay(ctx, p.Order.ID, "fan", false, "sandbox", "http://127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		notice := paidNotice(co.PaymentID, p.Order)
		if _, _, err := n.orders.Payments.ApplyNotice(ctx, notice); err == nil {
			t.Fatal("the payment applied without its entitlement")
		}
		if o, _ := n.orders.Get(ctx, p.Order.ID); o.Status != order.Pending {
			t.Fatalf("order %s after a failed entitlement write", o.Status)
		}
		if c := e.count(t, `SELECT count(*) FROM commerce_payment_txns WHERE order_id = $1`, p.Order.ID); c != 0 {
			t.Fatalf("%d transactions recorded", c)
		}
		if _, err := b.SQL.ExecContext(ctx, `ALTER TABLE presale_entitlements_away RENAME TO presale_entitlements`); err != nil {
			t.Fatal(err)
		}
		// The provider's retry applies payment and entitlement together.
		o, oc, err := n.orders.Payments.ApplyNotice(ctx, notice)
		if err != nil || oc != order.OutcomePaid || o.Status != order.Paid {
			t.Fatalf("retry: %s %s %v", o.Status, oc, err)
		}
		if c := e.count(t, `SELECT count(*) FROM presale_entitlements WHERE room = 'tx' AND user_id = 'fan' AND tier = 'vip' AND revoked_at = 0 AND source = 'paid'`); c != 1 {
			t.Fatalf("%d entitlements", c)
		}
		if c := e.count(t, `SELECT count(*) FROM presale_outbox WHERE event_type = $1`, events.EntitlementGranted); c != 1 {
			t.Fatalf("%d grant events in the outbox", c)
		}
		tk, _ := n.svc.Store().Ticket(ctx, p.Ticket.ID)
		if tk.Status != presale.StatusPaid || tk.PaidMinor != 19900 {
			t.Fatalf("ticket %+v", tk)
		}
		// The other node hears of it and lets the fan in with the VIP pass.
		testenv.Eventually(t, 10*time.Second, func() bool {
			_, pass, ok, err := e.nodes[1].passes.Pass(ctx, "tx", "fan")
			return err == nil && ok && pass.Tier == "vip" && len(pass.Sources) == 1 && pass.Highlight && e.nodes[1].passes.Seen() > seen
		}, "node 2 never admitted the paying fan")
		if _, _, ok, _ := e.nodes[1].passes.Pass(ctx, "tx", "stranger"); ok {
			t.Fatal("a stranger was let in")
		}
	})
}

// TestRefundRevokesOnEveryNode: a refund revokes the entitlement in its
// transaction; the event reaches another node, which drops the pass and
// runs its revoke hooks (to disconnect the viewer) within seconds; the
// place goes back on sale.
func TestRefundRevokesOnEveryNode(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("refund", presale.Tier{Name: "standard", Quantity: 1, Mode: presale.ModeFull, PriceMinor: 9900, Comment: true}))
		p, err := n.svc.Buy(ctx, "refund", "fan", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil {
			t.Fatal(err)
		}
		e.paid(t, n, p.Order)
		testenv.Eventually(t, 10*time.Second, func() bool {
			_, _, ok, _ := e.nodes[1].passes.Pass(ctx, "refund", "fan")
			return ok
		}, "node 2 never admitted the fan")
		revoked := make(chan events.EntitlementEvent, 4)
		e.nodes[1].passes.OnRevoke(func(ev events.EntitlementEvent) { revoked <- ev })
		start := time.Now()
		tk, err := n.svc.RefundTicket(ctx, p.Ticket.ID, "customer_request")
		if err != nil || tk.Status != presale.StatusRefunded || tk.Reason != "customer_request" || tk.RefundedMinor != 9900 {
			t.Fatalf("refund: %+v %v", tk, err)
		}
		select {
		case ev := <-revoked:
			if ev.Room != "refund" || ev.UserID != "fan" || ev.Source != "refund" || ev.OrderID != p.Order.ID {
				t.Fatalf("revoke event %+v", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no revoke event on node 2 within 5 s")
		}
		if _, _, ok, err := e.nodes[1].passes.Pass(ctx, "refund", "fan"); ok || err != nil {
			t.Fatalf("node 2 still admits the refunded fan (err %v)", err)
		}
		t.Logf("revoked on node 2 after %v", time.Since(start))
		if refunds := e.pay.refundsOf(p.Order.ID); len(refunds) != 1 || refunds[0].AmountMinor != 9900 {
			t.Fatalf("provider refunds %+v", refunds)
		}
		// Refunding again asks the provider nothing more.
		if _, err := n.svc.RefundTicket(ctx, p.Ticket.ID, "customer_request"); err != nil || len(e.pay.refundsOf(p.Order.ID)) != 1 {
			t.Fatalf("second refund: %v, %d provider refunds", err, len(e.pay.refundsOf(p.Order.ID)))
		}
		if v := e.view(t, "refund"); v.Tiers[0].Left != 1 {
			t.Fatalf("the refunded place is not back on sale: left %d", v.Tiers[0].Left)
		}
	})
}

// TestLatePaymentOfAnExpiredTicket: a payment arriving after the ticket
// order expired takes the place again at the price it was sold at when
// one is left (and entitles), and is refunded when none is.
func TestLatePaymentOfAnExpiredTicket(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("late", presale.Tier{Name: "standard", Quantity: 1, Mode: presale.ModeFull, PriceMinor: 4900}))
		pay := func(p presale.Purchase) string {
			co, err := n.orders.Payments.Pay(ctx, p.Order.ID, p.Order.UserID, false, "sandbox", "http://127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return co.PaymentID
		}
		expire := func(p presale.Purchase) {
			if got, err := n.orders.Maintenance.Sweep(ctx, p.Order.ExpiresAt.Add(time.Second)); err != nil || got != 1 {
				t.Fatalf("sweep: %d %v", got, err)
			}
		}
		a, _ := n.svc.Buy(ctx, "late", "a", presale.BuyRequest{Tier: "standard"}, "")
		payA := pay(a)
		expire(a)
		o, oc, err := n.orders.Payments.ApplyNotice(ctx, paidNotice(payA, a.Order))
		if err != nil || oc != order.OutcomePaidLate || o.Status != order.Paid {
			t.Fatalf("late payment with the place free: %s %s %v", o.Status, oc, err)
		}
		if tk, _ := n.svc.Store().Ticket(ctx, a.Ticket.ID); tk.Status != presale.StatusPaid {
			t.Fatalf("ticket %s", tk.Status)
		}
		if _, _, ok, _ := n.passes.Pass(ctx, "late", "a"); !ok {
			t.Fatal("the late payer is not let in")
		}
		if v := e.view(t, "late"); v.Tiers[0].Left != 0 {
			t.Fatalf("left %d", v.Tiers[0].Left)
		}
		// b's order expires, the place is gone (a holds it): b's late payment is refunded.
		if _, err := n.svc.RefundTicket(ctx, a.Ticket.ID, "test"); err != nil {
			t.Fatal(err)
		}
		bb, _ := n.svc.Buy(ctx, "late", "b", presale.BuyRequest{Tier: "standard"}, "")
		payB := pay(bb)
		expire(bb)
		c, _ := n.svc.Buy(ctx, "late", "c", presale.BuyRequest{Tier: "standard"}, "")
		e.paid(t, n, c.Order)
		o, oc, err = n.orders.Payments.ApplyNotice(ctx, paidNotice(payB, bb.Order))
		if err != nil || oc != order.OutcomeRefundedLate || o.Status != order.Refunded {
			t.Fatalf("late payment without a place: %s %s %v", o.Status, oc, err)
		}
		if _, _, ok, _ := n.passes.Pass(ctx, "late", "b"); ok {
			t.Fatal("b was let in without a place")
		}
		if tk, _ := n.svc.Store().Ticket(ctx, bb.Ticket.ID); tk.Status != presale.StatusReleased || tk.PaidMinor != 0 || tk.RefundedMinor != 0 {
			t.Fatalf("b's ticket %+v", tk)
		}
	})
}

// TestTicketExpiredBeforeThePresaleWasComposed: at start-up the order
// sweeper may expire a ticket order before the presale registers its
// hooks; the presale's own sweep then releases the place once.
func TestTicketExpiredBeforeThePresaleWasComposed(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("boot", presale.Tier{Name: "standard", Quantity: 1, Mode: presale.ModeFull, PriceMinor: 100}))
		p, err := n.svc.Buy(ctx, "boot", "a", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil {
			t.Fatal(err)
		}
		// A node whose order service has no ticket hooks yet sweeps.
		st, err := stock.New(ctx, b.Redis, ns)
		if err != nil {
			t.Fatal(err)
		}
		bare := order.NewService(order.NewStore(b.SQL, nil), st, catalog.NewCache(catalog.NewStore(b.SQL), time.Second), nil, order.Options{Log: testenv.Logger(t)})
		if got, err := bare.Maintenance.Sweep(ctx, p.Order.ExpiresAt.Add(time.Second)); err != nil || got != 1 {
			t.Fatalf("bare sweep: %d %v", got, err)
		}
		if v := e.view(t, "boot"); v.Tiers[0].Left != 0 {
			t.Fatalf("left %d before the repair", v.Tiers[0].Left)
		}
		for range 2 {
			if _, err := n.svc.Maintenance.SweepDeposits(ctx, e.now().Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if v := e.view(t, "boot"); v.Tiers[0].Left != 1 {
			t.Fatalf("left %d after the repair, want 1", v.Tiers[0].Left)
		}
		if tk, _ := n.svc.Store().Ticket(ctx, p.Ticket.ID); tk.Status != presale.StatusReleased || tk.Reason != "unpaid" {
			t.Fatalf("ticket %+v", tk)
		}
	})
}
