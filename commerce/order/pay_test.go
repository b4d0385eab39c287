package order_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestPaymentNoticesApplyOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		p := e.product(t, 10, 0)
		ctx := context.Background()
		o, _, err := e.svc.Create(ctx, "u", "k", order.Request{ProductID: p.ID, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		payID := e.pay(t, o)
		good := payment.Notice{Provider: "sandbox", PaymentID: payID, TransactionID: "tx1", Paid: true, AmountMinor: o.AmountMinor, Currency: "USD"}
		bad := []struct {
			name string
			n    payment.Notice
			want error
		}{
			{"wrong amount", withAmount(good, o.AmountMinor-1), order.ErrAmountMismatch},
			{"wrong currency", withCurrency(good, "EUR"), order.ErrAmountMismatch},
			{"unknown payment", withPayment(good, "pay_nope"), order.ErrUnknownPayment},
			{"other provider", withProvider(good, "stripe"), order.ErrUnknownPayment},
		}
		for _, c := range bad {
			if _, _, err := e.svc.Payments.ApplyNotice(ctx, c.n); !errors.Is(err, c.want) {
				t.Fatalf("%s: %v; want %v", c.name, err, c.want)
			}
		}
		if got, _ := e.svc.Get(ctx, o.ID); got.Status != order.Pending {
			t.Fatalf("after rejected notices the order is %s", got.Status)
		}
		// The good notice, delivered 10 times concurrently, applies once.
		var wg sync.WaitGroup
		outcomes := make([]order.Outcome, 10)
		for i := range outcomes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, oc, err := e.svc.Payments.ApplyNotice(ctx, good)
				if err != nil {
					t.Error(err)
				}
				outcomes[i] = oc
			}()
		}
		wg.Wait()
		paid := 0
		for _, oc := range outcomes {
			if oc == order.OutcomePaid {
				paid++
			} else if oc != order.OutcomeDuplicate {
				t.Fatalf("outcome %q", oc)
			}
		}
		if paid != 1 {
			t.Fatalf("%d notices paid; want 1", paid)
		}
		got, _ := e.svc.Get(ctx, o.ID)
		if got.Status != order.Paid || got.PaidAt == nil {
			t.Fatalf("order %+v; want PAID", got)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_outbox WHERE event_type = 'paid'`); n != 1 {
			t.Fatalf("%d paid events; want 1", n)
		}
		if states, _ := e.stock.Ledger.States(ctx, p.ID, o.ID); states[0] != 'C' {
			t.Fatalf("reservation state %q; want confirmed", states[0])
		}
		// A failed attempt changes nothing.
		if _, oc, err := e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: payID, TransactionID: "tx2"}); err != nil || oc != order.OutcomeFailed {
			t.Fatalf("failed notice: %v %v", oc, err)
		}
		// Refund returns the units.
		if _, err := e.svc.Payments.Refund(ctx, o.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if a := e.avail(t, p.ID); a != 10 {
			t.Fatalf("avail after refund %d; want 10", a)
		}
		if _, err := e.svc.Payments.Refund(ctx, o.ID, "again"); !errors.Is(err, order.ErrBadState) {
			t.Fatalf("second refund: %v", err)
		}
	})
}

func TestLatePaymentRule(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{TTL: time.Minute})
		p := e.product(t, 1, 0)
		ctx := context.Background()
		later := time.Now().Add(2 * time.Minute)

		// Expired, stock still there: the late payment is reinstated.
		o1, _, _ := e.svc.Create(ctx, "u1", "k", order.Request{ProductID: p.ID})
		pay1 := e.pay(t, o1)
		if n, _ := e.svc.Maintenance.Sweep(ctx, later); n != 1 {
			t.Fatalf("swept %d", n)
		}
		got, oc, err := e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: pay1, TransactionID: "late1", Paid: true, AmountMinor: o1.AmountMinor, Currency: "USD"})
		if err != nil || oc != order.OutcomePaidLate || got.Status != order.Paid {
			t.Fatalf("late payment with stock: %s %s %v", got.Status, oc, err)
		}
		if a := e.avail(t, p.ID); a != 0 {
			t.Fatalf("avail %d; want 0", a)
		}

		// Expired, stock sold to someone else meanwhile: refunded.
		if _, err := e.cat.Update(ctx, p.ID, func(x *catalog.Product) error { x.StockTotal = 2; return nil }); err != nil {
			t.Fatal(err)
		}
		e.stock.Admin.SetTotal(ctx, p.ID, 2)
		o2, _, err := e.svc.Create(ctx, "u2", "k", order.Request{ProductID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		pay2 := e.pay(t, o2)
		e.svc.Maintenance.Sweep(ctx, later)
		// Its released record may be forgotten before the payment comes.
		if rep, err := e.svc.Maintenance.Reconcile(ctx, later); err != nil || rep.Forgotten != 1 {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		if _, _, err := e.svc.Create(ctx, "u3", "k", order.Request{ProductID: p.ID}); err != nil {
			t.Fatalf("u3 buys the released unit: %v", err)
		}
		got, oc, err = e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: pay2, TransactionID: "late2", Paid: true, AmountMinor: o2.AmountMinor, Currency: "USD"})
		if err != nil || oc != order.OutcomeRefundedLate || got.Status != order.Refunded {
			t.Fatalf("late payment without stock: %s %s %v", got.Status, oc, err)
		}
		if a := e.avail(t, p.ID); a != 0 {
			t.Fatalf("avail %d; want 0 (no oversell)", a)
		}
		// Its replay changes nothing.
		if _, oc, _ := e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: pay2, TransactionID: "late2", Paid: true, AmountMinor: o2.AmountMinor, Currency: "USD"}); oc != order.OutcomeDuplicate {
			t.Fatalf("replay outcome %s", oc)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_outbox WHERE event_type = 'refunded'`); n != 1 {
			t.Fatalf("%d refunded events; want 1", n)
		}
	})
}

func withAmount(n payment.Notice, a int64) payment.Notice    { n.AmountMinor = a; return n }
func withCurrency(n payment.Notice, c string) payment.Notice { n.Currency = c; return n }
func withPayment(n payment.Notice, id string) payment.Notice { n.PaymentID = id; return n }
func withProvider(n payment.Notice, p string) payment.Notice { n.Provider = p; return n }
