package commerce_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
)

// A node dies between the Redis reservation and the SQL insert; the node
// that starts next (on the same stores) gives the units back by itself.
func TestNodeDiesBetweenReserveAndInsert(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		opts := func(hook func(context.Context, string) error) commerce.Options {
			return commerce.Options{Backends: b, Namespace: ns, AdminToken: "adm", Users: auth.NewVerifier([]byte("k"), ""),
				Config:        config.CommerceConfig{OrderTTL: time.Minute, ReconcileInterval: 200 * time.Millisecond},
				SandboxSecret: "sandbox-secret-for-tests-0123456789", Sandbox: true, AfterReserve: hook, Log: testenv.Logger(t)}
		}
		dying, err := commerce.New(ctx, opts(func(context.Context, string) error { return order.ErrCrashed }))
		if err != nil {
			t.Fatal(err)
		}
		p, err := dying.Catalog.Create(ctx, catalog.Product{Title: "Tea", PriceMinor: 100, Currency: "USD", StockTotal: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"a", "b"} {
			if _, _, err := dying.Orders.Create(ctx, u, "k", order.Request{ProductID: p.ID}); !errors.Is(err, order.ErrCrashed) {
				t.Fatalf("hook: %v", err)
			}
		}
		if avail, _, _, _ := dying.Stock.Avail(ctx, p.ID); avail != 1 {
			t.Fatalf("avail %d with two orphan reservations; want 1", avail)
		}
		dying.Close(ctx)

		next, err := commerce.New(ctx, opts(nil))
		if err != nil {
			t.Fatal(err)
		}
		defer next.Close(ctx)
		testenv.Eventually(t, 10*time.Second, func() bool {
			avail, _, _, _ := next.Stock.Avail(ctx, p.ID)
			return avail == 3
		}, "the orphan reservations were never released")
		var n int
		b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM commerce_orders`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d orders; want none", n)
		}
		// The units sell normally again.
		for _, u := range []string{"a", "b", "c"} {
			if _, created, err := next.Orders.Create(ctx, u, "k2", order.Request{ProductID: p.ID}); err != nil || !created {
				t.Fatalf("buyer %s after repair: %v", u, err)
			}
		}
		if _, _, err := next.Orders.Create(ctx, "d", "k2", order.Request{ProductID: p.ID}); !errors.Is(err, order.ErrSoldOut) {
			t.Fatalf("fourth buyer: %v", err)
		}
	})
}
