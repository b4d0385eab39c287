package order_test

import (
	"context"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func paidNotice(payID string, o order.Order) payment.Notice {
	return payment.Notice{Provider: "sandbox", PaymentID: payID, TransactionID: "tx-" + payID, Paid: true, AmountMinor: o.AmountMinor, Currency: o.Currency}
}

// Issue #11.13: a late payment reinstating an order checks the per-user
// limit, and refunds when the buyer bought up to it meanwhile.
func TestLatePaymentRespectsPerUserLimit(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		p := e.product(t, 10, 2)
		ctx := context.Background()
		first, _, err := e.svc.Create(ctx, "u", "first", order.Request{ProductID: p.ID, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		firstPay := e.pay(t, first)
		if _, err := e.svc.Cancel(ctx, first.ID, "u", false); err != nil {
			t.Fatal(err)
		}
		second, _, err := e.svc.Create(ctx, "u", "second", order.Request{ProductID: p.ID, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, oc, err := e.svc.Payments.ApplyNotice(ctx, paidNotice(e.pay(t, second), second)); err != nil || oc != order.OutcomePaid {
			t.Fatalf("second: %v %v", oc, err)
		}
		// The first order's payment arrives late: reinstating it would make 4 > 2.
		got, oc, err := e.svc.Payments.ApplyNotice(ctx, paidNotice(firstPay, first))
		if err != nil || oc != order.OutcomeRefundedLimit || got.Status != order.Refunded {
			t.Fatalf("late payment: %s %v %v; want REFUNDED refunded_limit", got.Status, oc, err)
		}
		if held, _ := e.stock.UserHeld(ctx, p.ID, "u"); held != 2 {
			t.Fatalf("user holds %d units; want 2", held)
		}
		if a := e.avail(t, p.ID); a != 8 {
			t.Fatalf("avail %d; want 8", a)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_orders WHERE user_id = 'u' AND status = 'PAID'`); n != 1 {
			t.Fatalf("%d PAID orders; want 1", n)
		}

		// Within the limit a late payment is still reinstated.
		other, _, _ := e.svc.Create(ctx, "v", "k", order.Request{ProductID: p.ID, Quantity: 1})
		otherPay := e.pay(t, other)
		e.svc.Cancel(ctx, other.ID, "v", false)
		if got, oc, err := e.svc.Payments.ApplyNotice(ctx, paidNotice(otherPay, other)); err != nil || oc != order.OutcomePaidLate || got.Status != order.Paid {
			t.Fatalf("late payment within the limit: %s %v %v", got.Status, oc, err)
		}
	})
}

// Issue #11.22: a crash between a late payment's reinstate (Redis: C) and
// its SQL commit leaves a paid reservation no paid order backs; reconcile
// returns its units, and leaves real late payments alone.
func TestReconcileRepairsCrashedLateReinstate(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		p := e.product(t, 10, 0)
		ctx := context.Background()
		crashed, _, _ := e.svc.Create(ctx, "u", "crashed", order.Request{ProductID: p.ID, Quantity: 3})
		e.svc.Cancel(ctx, crashed.ID, "u", false)
		// What ApplyNotice's transaction does in Redis before the crash.
		if res, err := e.stock.Reinstate(ctx, p.ID, crashed.ID, "u", 3, stock.StateConfirmed, time.Now()); err != nil || res.Code != stock.Done {
			t.Fatalf("reinstate: %v %v", res, err)
		}
		paid, _, _ := e.svc.Create(ctx, "w", "paid-late", order.Request{ProductID: p.ID, Quantity: 2})
		payID := e.pay(t, paid)
		e.svc.Cancel(ctx, paid.ID, "w", false)
		if _, oc, err := e.svc.Payments.ApplyNotice(ctx, paidNotice(payID, paid)); err != nil || oc != order.OutcomePaidLate {
			t.Fatalf("late payment: %v %v", oc, err)
		}
		if a := e.avail(t, p.ID); a != 5 {
			t.Fatalf("avail before reconcile %d; want 5", a)
		}
		// Within the grace period nothing is touched (a commit may be in flight).
		if rep, err := e.svc.Maintenance.Reconcile(ctx, time.Now()); err != nil || rep.LateReleased != 0 {
			t.Fatalf("early reconcile: %+v %v", rep, err)
		}
		rep, err := e.svc.Maintenance.Reconcile(ctx, time.Now().Add(time.Minute))
		if err != nil || rep.LateReleased != 1 {
			t.Fatalf("reconcile: %+v %v; want one late record released", rep, err)
		}
		if a := e.avail(t, p.ID); a != 8 {
			t.Fatalf("avail after reconcile %d; want 8 (the paid late order keeps 2)", a)
		}
		st, _ := e.stock.Ledger.States(ctx, p.ID, crashed.ID, paid.ID)
		if st[0] == stock.StateConfirmed || st[1] != stock.StateConfirmed { // released (or already forgotten), paid
			t.Fatalf("states %q %q", st[0], st[1])
		}
		// Settled: a second pass does nothing.
		if rep, err := e.svc.Maintenance.Reconcile(ctx, time.Now().Add(2*time.Minute)); err != nil || rep.LateReleased != 0 {
			t.Fatalf("second reconcile: %+v %v", rep, err)
		}
	})
}
