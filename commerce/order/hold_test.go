package order_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// Issue #11.10: one buyer (or one address) cannot hold all the stock unpaid,
// whatever the purchase limit; paying or cancelling frees the cap.
func TestUnpaidHoldsAreCapped(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{UnpaidPerUser: 5, UnpaidPerAddr: 8})
		p := e.product(t, 1000, 0) // no purchase limit
		ctx := context.Background()
		const addr = "203.0.113.7"
		req := func(qty int, addr string) order.Request {
			return order.Request{ProductID: p.ID, Quantity: qty, Addr: addr}
		}

		// 10 concurrent orders of 100 units by one buyer: nothing beyond the cap.
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := e.svc.Create(ctx, "greedy", "big"+strconv.Itoa(i), req(100, addr)); !errors.Is(err, order.ErrUnpaidLimit) {
					t.Errorf("order of 100: %v; want ErrUnpaidLimit", err)
				}
			}()
		}
		wg.Wait()
		if got := e.avail(t, p.ID); got != 1000 {
			t.Fatalf("avail %d after refused orders; want 1000", got)
		}

		steps := []struct {
			name, user, key string
			qty             int
			addr            string
			want            error
		}{
			{"user within cap", "alice", "a1", 3, addr, nil},
			{"user over cap", "alice", "a2", 3, addr, order.ErrUnpaidLimit},
			{"user up to cap", "alice", "a3", 2, addr, nil},
			{"another user, same address, over its cap", "bob", "b1", 4, addr, order.ErrUnpaidLimit},
			{"another user, same address, within", "bob", "b2", 3, addr, nil},
			{"another address is not capped by the first", "carol", "c1", 5, "198.51.100.9", nil},
			{"a request without an address is not capped per address", "dave", "d1", 5, "", nil},
		}
		var alice order.Order
		for _, s := range steps {
			o, _, err := e.svc.Create(ctx, s.user, s.key, req(s.qty, s.addr))
			if !errors.Is(err, s.want) {
				t.Fatalf("%s: %v; want %v", s.name, err, s.want)
			}
			if s.key == "a1" {
				alice = o
			}
		}
		if got := e.avail(t, p.ID); got != 1000-3-2-3-5-5 {
			t.Fatalf("avail %d", got)
		}

		// Paying frees the unpaid cap (the units stay sold).
		payID := e.pay(t, alice)
		if _, oc, err := e.svc.Payments.ApplyNotice(ctx, paidNotice(payID, alice)); err != nil || oc != order.OutcomePaid {
			t.Fatalf("pay: %v %v", oc, err)
		}
		if _, _, err := e.svc.Create(ctx, "alice", "a4", req(3, addr)); err != nil {
			t.Fatalf("after paying, alice may hold 3 more unpaid: %v", err)
		}
		// Cancelling frees it too, for the user and the address.
		bob, err := e.svc.Get(ctx, orderOf(t, e, "bob", "b2"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(ctx, bob.ID, "bob", false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Create(ctx, "erin", "e1", req(3, addr)); err != nil {
			t.Fatalf("after bob cancelled, the address holds less: %v", err)
		}
	})
}

// Issue #11.10: an order at a room's live price holds its stock for the
// shorter live TTL; a list-price order for the full TTL.
func TestLiveOrdersHoldShorter(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{TTL: 15 * time.Minute, LiveTTL: 5 * time.Minute})
		p := e.product(t, 10, 0)
		ctx := context.Background()
		if err := e.cat.SetPresenting(ctx, catalog.Presenting{Room: "r1", ProductID: p.ID, LivePriceMinor: 1500}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			room string
			ttl  time.Duration
		}{{"r1", 5 * time.Minute}, {"", 15 * time.Minute}, {"r2", 15 * time.Minute}} {
			o, _, err := e.svc.Create(ctx, "u-"+c.room, "k", order.Request{ProductID: p.ID, Quantity: 1, Room: c.room})
			if err != nil {
				t.Fatal(err)
			}
			if got := o.ExpiresAt.Sub(o.CreatedAt); got != c.ttl {
				t.Fatalf("room %q: holds %v; want %v", c.room, got, c.ttl)
			}
		}
	})
}

// Issue #11.24: stock a product holds for a flash sale cannot be bought at
// list price (anywhere) before the sale opens.
func TestStockHeldForSale(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		ctx := context.Background()
		held, err := e.cat.Create(ctx, catalog.Product{Title: "Held", PriceMinor: 1000, Currency: "USD", StockTotal: 10, HoldForSale: true})
		if err != nil {
			t.Fatal(err)
		}
		free := e.product(t, 10, 0)
		start := time.Now().Add(time.Hour)
		for _, p := range []catalog.Product{held, free} {
			if err := e.cat.SetPresenting(ctx, catalog.Presenting{Room: "r-" + p.ID, ProductID: p.ID, LivePriceMinor: 500, SaleStartsAt: &start}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name    string
			product string
			room    string
			want    error
		}{
			{"held, at list price", held.ID, "", order.ErrSaleClosed},
			{"held, in a room that does not present it", held.ID, "elsewhere", order.ErrSaleClosed},
			{"held, in the sale's room before it opens", held.ID, "r-" + held.ID, order.ErrSaleClosed},
			{"not held: list price stays open", free.ID, "", nil},
			{"not held, in its sale's room before it opens", free.ID, "r-" + free.ID, order.ErrSaleClosed},
		}
		for i, c := range cases {
			_, _, err := e.svc.Create(ctx, "u"+strconv.Itoa(i), "k", order.Request{ProductID: c.product, Quantity: 1, Room: c.room})
			if !errors.Is(err, c.want) {
				t.Fatalf("%s: %v; want %v", c.name, err, c.want)
			}
		}
		if err := e.svc.LoadStock(ctx, held.ID, held.StockTotal); err != nil {
			t.Fatal(err)
		}
		if got := e.avail(t, held.ID); got != 10 {
			t.Fatalf("held product avail %d; want 10", got)
		}

		// The sale opens: the live price in its room, and list price elsewhere.
		opened := time.Now().Add(-time.Second)
		if err := e.cat.SetPresenting(ctx, catalog.Presenting{Room: "r-" + held.ID, ProductID: held.ID, LivePriceMinor: 500, SaleStartsAt: &opened}); err != nil {
			t.Fatal(err)
		}
		e.cache.Forget("", "r-"+held.ID)
		o, _, err := e.svc.Create(ctx, "live", "k", order.Request{ProductID: held.ID, Quantity: 1, Room: "r-" + held.ID})
		if err != nil || o.UnitPriceMinor != 500 {
			t.Fatalf("in the open sale: %+v %v", o, err)
		}
		if o, _, err := e.svc.Create(ctx, "list", "k", order.Request{ProductID: held.ID, Quantity: 1}); err != nil || o.UnitPriceMinor != 1000 {
			t.Fatalf("list price once the sale opened: %+v %v", o, err)
		}
	})
}

// orderOf is the id of user's order placed with key.
func orderOf(t *testing.T, e *env, user, key string) string {
	t.Helper()
	var id string
	if err := e.b.SQL.QueryRowContext(context.Background(), `SELECT id FROM commerce_orders WHERE user_id = $1 AND idem_key = $2`, user, key).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
