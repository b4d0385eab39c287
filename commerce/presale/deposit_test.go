package presale_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

func depositTier(e *env, qty int64, rule string) presale.Tier {
	return presale.Tier{Name: "standard", Quantity: qty, Mode: presale.ModeDeposit, PriceMinor: 29900, DepositMinor: 5000,
		BalanceDueAt: e.now().Add(24 * time.Hour), DepositRule: rule, Comment: true}
}

// TestDepositThenBalanceEntitles: a deposit locks a place without access;
// the balance, paid in time, entitles.
func TestDepositThenBalanceEntitles(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		e.put(t, e.show("dep", depositTier(e, 5, presale.DepositForfeit)))
		p, err := n.svc.Buy(ctx, "dep", "fan", presale.BuyRequest{Tier: "standard", Pay: presale.ModeDeposit}, "")
		if err != nil || p.Order.AmountMinor != 5000 || p.Ticket.BalanceMinor != 24900 {
			t.Fatalf("deposit: %+v %+v %v", p.Ticket, p.Order, err)
		}
		if _, err := n.svc.Balance(ctx, "fan", p.Ticket.ID); !errors.Is(err, presale.ErrBadState) {
			t.Fatalf("balance before the deposit is paid: %v", err)
		}
		e.paid(t, n, p.Order)
		tk, _ := n.svc.Store().Ticket(ctx, p.Ticket.ID)
		if tk.Status != presale.StatusDepositPaid {
			t.Fatalf("after the deposit: %s", tk.Status)
		}
		if _, _, ok, _ := n.passes.Pass(ctx, "dep", "fan"); ok {
			t.Fatal("a deposit alone let the fan in")
		}
		bal, err := n.svc.Balance(ctx, "fan", p.Ticket.ID)
		if err != nil || bal.Order.AmountMinor != 24900 {
			t.Fatalf("balance order: %+v %v", bal.Order, err)
		}
		if again, err := n.svc.Balance(ctx, "fan", p.Ticket.ID); err != nil || again.Order.ID != bal.Order.ID {
			t.Fatalf("balance again: %v (%s vs %s)", err, again.Order.ID, bal.Order.ID)
		}
		if _, err := n.svc.Balance(ctx, "stranger", p.Ticket.ID); !errors.Is(err, presale.ErrNotFound) {
			t.Fatalf("someone else's balance: %v", err)
		}
		e.paid(t, n, bal.Order)
		tk, _ = n.svc.Store().Ticket(ctx, p.Ticket.ID)
		if tk.Status != presale.StatusPaid || tk.PaidMinor != 29900 {
			t.Fatalf("after the balance: %+v", tk)
		}
		if _, _, ok, err := n.passes.Pass(ctx, "dep", "fan"); !ok || err != nil {
			t.Fatalf("the paid fan is not let in (%v)", err)
		}
		if c := e.count(t, `SELECT count(*) FROM presale_entitlements WHERE room = 'dep' AND user_id = 'fan' AND source = 'balance'`); c != 1 {
			t.Fatalf("%d entitlements", c)
		}
		// The sweep after the due time leaves a paid ticket alone.
		e.advance(25 * time.Hour)
		if got, err := n.svc.Maintenance.SweepDeposits(ctx, e.now()); err != nil || got != 0 {
			t.Fatalf("sweep of a paid ticket: %d %v", got, err)
		}
	})
}

// TestUnpaidBalanceReleasedOnceAcrossNodes: a deposit whose balance is not
// paid by the deadline is released, and its place goes back on sale
// exactly once, with two nodes sweeping at the same time; the deposit is
// refunded once (the offer's rule), and a balance paid after the deadline
// is refunded rather than let in.
func TestUnpaidBalanceReleasedOnceAcrossNodes(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		ctx := context.Background()
		n1, n2 := e.nodes[0], e.nodes[1]
		e.put(t, e.show("due", depositTier(e, 3, presale.DepositRefund)))
		var deposits []presale.Purchase
		for _, u := range []string{"a", "b", "c"} {
			p, err := n1.svc.Buy(ctx, "due", u, presale.BuyRequest{Tier: "standard", Pay: presale.ModeDeposit}, "")
			if err != nil {
				t.Fatal(err)
			}
			e.paid(t, n1, p.Order)
			deposits = append(deposits, p)
		}
		// c opens a balance order but does not pay it before the deadline.
		late, err := n1.svc.Balance(ctx, "c", deposits[2].Ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		lateCo, err := n1.orders.Payments.Pay(ctx, late.Order.ID, "c", false, "sandbox", "http://127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		// b pays the balance in time.
		bal, err := n1.svc.Balance(ctx, "b", deposits[1].Ticket.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.paid(t, n1, bal.Order)
		if _, err := n1.svc.Buy(ctx, "due", "d", presale.BuyRequest{Tier: "standard", Pay: presale.ModeDeposit}, ""); !errors.Is(err, presale.ErrSoldOut) {
			t.Fatalf("a fourth place: %v", err)
		}
		e.advance(24*time.Hour + time.Second)
		if _, err := n1.svc.Balance(ctx, "a", deposits[0].Ticket.ID); !errors.Is(err, presale.ErrBalanceLate) {
			t.Fatalf("balance after the deadline: %v", err)
		}
		// Both nodes sweep at once, several times.
		var wg sync.WaitGroup
		var mu sync.Mutex
		released := 0
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := e.nodes[i%2].svc.Maintenance.SweepDeposits(ctx, e.now())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				released += got
				mu.Unlock()
			}()
		}
		wg.Wait()
		if released != 2 {
			t.Fatalf("%d places released, want 2 (a and c)", released)
		}
		for i, want := range []string{presale.StatusReleased, presale.StatusPaid, presale.StatusReleased} {
			tk, _ := n2.svc.Store().Ticket(ctx, deposits[i].Ticket.ID)
			if tk.Status != want {
				t.Fatalf("ticket %d is %s, want %s", i, tk.Status, want)
			}
		}
		// The places are on sale again, exactly two of them.
		if v := e.view(t, "due"); v.Tiers[0].Left != 2 {
			t.Fatalf("left %d after the release, want 2", v.Tiers[0].Left)
		}
		// Each deposit refunded once (the offer's rule), b's not at all.
		for i, want := range []int{1, 0, 1} {
			if got := len(e.pay.refundsOf(deposits[i].Order.ID)); got != want {
				t.Fatalf("deposit %d refunded %d times, want %d", i, got, want)
			}
		}
		// c's open balance order was cancelled; its late payment is refunded, not let in.
		o, _ := n2.orders.Get(ctx, late.Order.ID)
		if o.Status != order.Cancelled {
			t.Fatalf("c's balance order is %s", o.Status)
		}
		if _, _, err := n2.orders.Payments.ApplyNotice(ctx, paidNotice(lateCo.PaymentID, late.Order)); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := n2.passes.Pass(ctx, "due", "c"); ok {
			t.Fatal("a balance paid after the deadline let c in")
		}
		if got := len(e.pay.refundsOf(late.Order.ID)); got != 1 {
			t.Fatalf("c's late balance refunded %d times", got)
		}
		// Two new buyers get the two places; a third finds none.
		for _, u := range []string{"e", "f"} {
			if _, err := n2.svc.Buy(ctx, "due", u, presale.BuyRequest{Tier: "standard", Pay: presale.ModeFull}, ""); err != nil {
				t.Fatalf("%s: %v", u, err)
			}
		}
		if _, err := n1.svc.Buy(ctx, "due", "g", presale.BuyRequest{Tier: "standard", Pay: presale.ModeFull}, ""); !errors.Is(err, presale.ErrSoldOut) {
			t.Fatalf("a place beyond the released ones: %v", err)
		}
		st, err := n1.svc.Analytics.Stats(ctx, "due")
		if err != nil {
			t.Fatal(err)
		}
		ts := st.Tiers[0]
		if ts.Deposits != 3 || ts.BalancePaid != 1 || ts.Released != 2 || ts.Refunds != 2 || ts.RefundReasons["balance_unpaid"] != 2 {
			t.Fatalf("stats %+v", ts)
		}
	})
}

// TestRemindersPlanned: a paid ticket plans its confirmation and the start
// reminders; a deposit its confirmation and the balance reminder a day
// before the due time; a release or a refund drops what is pending.
func TestRemindersPlanned(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 1)
		ctx := context.Background()
		n := e.nodes[0]
		off := e.show("remind", presale.Tier{Name: "standard", Quantity: 5, Mode: presale.ModeFull, PriceMinor: 100}, depositTier(e, 5, presale.DepositForfeit))
		off.Tiers[1].Name = "vip"
		off.Tiers[1].BalanceDueAt = e.now().Add(36 * time.Hour)
		e.put(t, off)
		p, _ := n.svc.Buy(ctx, "remind", "full", presale.BuyRequest{Tier: "standard"}, "")
		e.paid(t, n, p.Order)
		if got := e.rem.kinds("full"); strings.Join(got, ",") != "confirmation,start_24h,start_1h" {
			t.Fatalf("full ticket reminders %v", got)
		}
		d, _ := n.svc.Buy(ctx, "remind", "dep", presale.BuyRequest{Tier: "vip"}, "")
		e.paid(t, n, d.Order)
		if got := e.rem.kinds("dep"); strings.Join(got, ",") != "confirmation,balance_due" {
			t.Fatalf("deposit reminders %v", got)
		}
		for _, j := range e.rem.planned {
			if j.Kind == presale.KindBalanceDue && !j.DueAt.Equal(off.Tiers[1].BalanceDueAt.Add(-24*time.Hour).Truncate(time.Millisecond)) {
				t.Fatalf("balance reminder due %v", j.DueAt)
			}
			if j.Kind == presale.KindStart(time.Hour) && !j.DueAt.Equal(off.StartsAt.Add(-time.Hour).Truncate(time.Millisecond)) {
				t.Fatalf("1 h reminder due %v (show at %v)", j.DueAt, off.StartsAt)
			}
		}
		if _, err := n.svc.RefundTicket(ctx, p.Ticket.ID, "test"); err != nil {
			t.Fatal(err)
		}
		e.rem.mu.Lock()
		dropped := strings.Join(e.rem.dropped, ",")
		e.rem.mu.Unlock()
		if dropped != "remind/full/" {
			t.Fatalf("dropped %q", dropped)
		}
	})
}

// TestReleasedDepositRevokesOnEveryNode: when an offer lets a deposit
// admit, the place released for an unpaid balance revokes the entitlement
// in the sweep's transaction, and another node hears of it.
func TestReleasedDepositRevokesOnEveryNode(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, 2)
		ctx := context.Background()
		n := e.nodes[0]
		tier := depositTier(e, 2, presale.DepositForfeit)
		tier.DepositAdmits = true
		e.put(t, e.show("admits", tier))
		p, err := n.svc.Buy(ctx, "admits", "fan", presale.BuyRequest{Tier: "standard"}, "")
		if err != nil {
			t.Fatal(err)
		}
		e.paid(t, n, p.Order)
		testenv.Eventually(t, 10*time.Second, func() bool {
			_, _, ok, _ := e.nodes[1].passes.Pass(ctx, "admits", "fan")
			return ok
		}, "the deposit did not admit on node 2")
		revoked := make(chan events.EntitlementEvent, 2)
		e.nodes[1].passes.OnRevoke(func(ev events.EntitlementEvent) { revoked <- ev })
		if got, err := e.nodes[1].svc.Maintenance.SweepDeposits(ctx, e.now().Add(25*time.Hour)); err != nil || got != 1 {
			t.Fatalf("sweep %d %v", got, err)
		}
		select {
		case ev := <-revoked:
			if ev.Source != "released" || ev.UserID != "fan" {
				t.Fatalf("event %+v", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no revoke on node 2 within 5 s")
		}
		if _, _, ok, _ := e.nodes[1].passes.Pass(ctx, "admits", "fan"); ok {
			t.Fatal("the released deposit still admits")
		}
		if c := e.count(t, `SELECT count(*) FROM presale_entitlements WHERE room = 'admits' AND revoke_reason = 'released'`); c != 1 {
			t.Fatalf("%d revoked lines", c)
		}
	})
}
