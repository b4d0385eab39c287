package order_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestFlashSaleSellsExactlyTheStock(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		p := e.product(t, 100, 0)
		ctx := context.Background()
		var created, soldOut atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 2000; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := e.svc.Create(ctx, "buyer"+strconv.Itoa(i), "k", order.Request{ProductID: p.ID, Quantity: 1})
				switch {
				case err == nil && ok:
					created.Add(1)
				case errors.Is(err, order.ErrSoldOut):
					soldOut.Add(1)
				default:
					t.Errorf("buyer %d: created %v err %v", i, ok, err)
				}
			}()
		}
		wg.Wait()
		if created.Load() != 100 || soldOut.Load() != 1900 {
			t.Fatalf("created %d sold out %d; want 100 and 1900", created.Load(), soldOut.Load())
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_orders WHERE product_id = $1 AND status = 'PENDING'`, p.ID); n != 100 {
			t.Fatalf("%d order rows; want 100", n)
		}
		if a := e.avail(t, p.ID); a != 0 {
			t.Fatalf("avail %d; want 0", a)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_outbox WHERE event_type = 'created'`); n != 100 {
			t.Fatalf("%d created events; want 100", n)
		}
	})
}

func TestPerUserLimitHoldsUnderConcurrency(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		p := e.product(t, 1000, 2)
		ctx := context.Background()
		var created, limited atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := e.svc.Create(ctx, "greedy", "key"+strconv.Itoa(i), order.Request{ProductID: p.ID, Quantity: 1})
				switch {
				case err == nil && ok:
					created.Add(1)
				case errors.Is(err, order.ErrLimit):
					limited.Add(1)
				default:
					t.Errorf("attempt %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		if created.Load() != 2 || limited.Load() != 98 {
			t.Fatalf("created %d limited %d; want 2 and 98", created.Load(), limited.Load())
		}
		if _, _, err := e.svc.Create(ctx, "greedy", "big", order.Request{ProductID: p.ID, Quantity: 3}); !errors.Is(err, order.ErrLimit) {
			t.Fatalf("3 units over a limit of 2: %v", err)
		}
	})
}

func TestIdempotentRetry(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		p := e.product(t, 10, 0)
		other := e.product(t, 10, 0)
		soldOut := e.product(t, 0, 0)
		ctx := context.Background()
		req := order.Request{ProductID: p.ID, Quantity: 2}
		first, created, err := e.svc.Create(ctx, "u1", "idem-1", req)
		if err != nil || !created {
			t.Fatalf("first: %v %v", created, err)
		}
		// Concurrent retries of the same request: all answer the same order.
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				again, created, err := e.svc.Create(ctx, "u1", "idem-1", req)
				if err != nil || created || again.ID != first.ID {
					t.Errorf("retry: id %s created %v err %v; want %s", again.ID, created, err, first.ID)
				}
			}()
		}
		wg.Wait()
		cases := []struct {
			name string
			req  order.Request
		}{
			{"other quantity", order.Request{ProductID: p.ID, Quantity: 3}},
			{"other product", order.Request{ProductID: other.ID, Quantity: 2}},
			{"other room", order.Request{ProductID: p.ID, Quantity: 2, Room: "r1"}},
			{"sold-out product", order.Request{ProductID: soldOut.ID, Quantity: 2}},
		}
		for _, c := range cases {
			if _, _, err := e.svc.Create(ctx, "u1", "idem-1", c.req); !errors.Is(err, order.ErrIdempotencyReuse) {
				t.Fatalf("%s: %v; want ErrIdempotencyReuse", c.name, err)
			}
		}
		if a := e.avail(t, p.ID); a != 8 {
			t.Fatalf("avail %d; want 8", a)
		}
		if a := e.avail(t, other.ID); a != 10 {
			t.Fatalf("other product avail %d; want 10 (its reservation released)", a)
		}
		// Another user with the same key is another order.
		if o, created, err := e.svc.Create(ctx, "u2", "idem-1", req); err != nil || !created || o.ID == first.ID {
			t.Fatalf("other user: %v %v", created, err)
		}
		if _, _, err := e.svc.Create(ctx, "u3", "fresh", order.Request{ProductID: soldOut.ID}); !errors.Is(err, order.ErrSoldOut) {
			t.Fatalf("fresh key on a sold-out product: %v", err)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_orders`); n != 2 {
			t.Fatalf("%d orders; want 2", n)
		}
	})
}

func TestExpiryReturnsStockOnceWithRacingSweepers(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{TTL: time.Minute})
		node2 := e.restart(t, order.Options{TTL: time.Minute})
		p := e.product(t, 50, 0)
		ctx := context.Background()
		for i := 0; i < 30; i++ {
			if _, _, err := e.svc.Create(ctx, "u"+strconv.Itoa(i), "k", order.Request{ProductID: p.ID, Quantity: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if a := e.avail(t, p.ID); a != 20 {
			t.Fatalf("avail %d; want 20", a)
		}
		later := time.Now().Add(2 * time.Minute)
		var n1, n2 int
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); n1, _ = e.svc.Maintenance.Sweep(ctx, later) }()
		go func() { defer wg.Done(); n2, _ = node2.Maintenance.Sweep(ctx, later) }()
		wg.Wait()
		if n1+n2 != 30 {
			t.Fatalf("sweepers expired %d+%d; want 30 in all", n1, n2)
		}
		// A third pass and repeated releases change nothing.
		if n, _ := e.svc.Maintenance.Sweep(ctx, later); n != 0 {
			t.Fatalf("third sweep expired %d", n)
		}
		if a := e.avail(t, p.ID); a != 50 {
			t.Fatalf("avail %d after expiry; want exactly 50", a)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_outbox WHERE event_type = 'expired'`); n != 30 {
			t.Fatalf("%d expired events; want 30", n)
		}
		// Reconcile forgets the released records; nothing else changes.
		rep, err := e.svc.Maintenance.Reconcile(ctx, later)
		if err != nil || rep.Forgotten != 30 || rep.Released != 0 || rep.Reinstated != 0 {
			t.Fatalf("reconcile after expiry: %+v %v", rep, err)
		}
		if a := e.avail(t, p.ID); a != 50 {
			t.Fatalf("avail %d after forgetting; want 50", a)
		}
	})
}

func TestCrashBetweenReserveAndInsertIsReconciled(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		crash := order.Options{Grace: time.Second, AfterReserve: func(context.Context, string) error { return order.ErrCrashed }}
		e := newEnv(t, b, ns, crash)
		p := e.product(t, 5, 0)
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			if _, _, err := e.svc.Create(ctx, "u"+strconv.Itoa(i), "k", order.Request{ProductID: p.ID, Quantity: 1}); !errors.Is(err, order.ErrCrashed) {
				t.Fatalf("crash hook: %v", err)
			}
		}
		if a := e.avail(t, p.ID); a != 2 {
			t.Fatalf("avail %d after 3 crashed reservations; want 2", a)
		}
		// The node restarts: within the grace period nothing is touched.
		node := e.restart(t, order.Options{Grace: time.Second})
		if rep, err := node.Maintenance.Reconcile(ctx, time.Now()); err != nil || rep.Released != 0 {
			t.Fatalf("reconcile within grace: %+v %v", rep, err)
		}
		// One buyer retried before reconcile: the retry finishes the order.
		o, created, err := node.Create(ctx, "u0", "k", order.Request{ProductID: p.ID, Quantity: 1})
		if err != nil || !created || o.Status != order.Pending {
			t.Fatalf("retry after crash: %+v %v %v", o, created, err)
		}
		rep, err := node.Maintenance.Reconcile(ctx, time.Now().Add(2*time.Second))
		if err != nil || rep.Released != 2 || rep.Forgotten != 2 {
			t.Fatalf("reconcile after grace: %+v %v; want 2 released", rep, err)
		}
		if a := e.avail(t, p.ID); a != 4 {
			t.Fatalf("avail %d; want 4 (one live order)", a)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_orders`); n != 1 {
			t.Fatalf("%d orders; want 1", n)
		}
		// A second pass finds nothing to do.
		if rep, _ := node.Maintenance.Reconcile(ctx, time.Now().Add(2*time.Second)); rep.Released != 0 || rep.Reinstated != 0 {
			t.Fatalf("second reconcile: %+v", rep)
		}
	})
}

func TestReconcileRebuildsLostRedis(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{Grace: time.Millisecond})
		p := e.product(t, 10, 0)
		ctx := context.Background()
		a, _, _ := e.svc.Create(ctx, "a", "k", order.Request{ProductID: p.ID, Quantity: 2})
		bo, _, _ := e.svc.Create(ctx, "b", "k", order.Request{ProductID: p.ID, Quantity: 3})
		if _, _, err := e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: e.pay(t, bo), TransactionID: "t1", Paid: true, AmountMinor: bo.AmountMinor, Currency: "USD"}); err != nil {
			t.Fatal(err)
		}
		// Redis loses everything about the product.
		if err := e.stock.Admin.Forget(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		rep, err := e.svc.Maintenance.Reconcile(ctx, time.Now().Add(time.Second))
		if err != nil || rep.Loaded != 1 {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		if av := e.avail(t, p.ID); av != 5 {
			t.Fatalf("avail %d; want 5", av)
		}
		// The rebuilt reservations behave: expiring a returns its 2 units once.
		if _, err := e.svc.Cancel(ctx, a.ID, "a", false); err != nil {
			t.Fatal(err)
		}
		e.svc.Cancel(ctx, a.ID, "a", false)
		if av := e.avail(t, p.ID); av != 7 {
			t.Fatalf("avail %d after cancel; want 7", av)
		}
	})
}
