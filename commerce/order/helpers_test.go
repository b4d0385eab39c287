package order_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

type env struct {
	b       *backend.Backends
	ns      string
	cat     *catalog.Store
	cache   *catalog.Cache
	stock   *stock.Store
	svc     *order.Service
	sandbox *sandbox.Provider
}

func newEnv(t *testing.T, b *backend.Backends, ns string, opt order.Options) *env {
	t.Helper()
	if opt.Log == nil {
		opt.Log = testenv.Logger(t)
	}
	return newEnvOpt(t, b, ns, opt)
}

// newEnvTB is newEnv for benchmarks (quiet logs).
func newEnvTB(tb testing.TB, b *backend.Backends, ns string) *env {
	return newEnvOpt(tb, b, ns, order.Options{Log: slog.New(slog.DiscardHandler)})
}

func (e *env) productTB(tb testing.TB, stockTotal int64) catalog.Product {
	p, err := e.cat.Create(context.Background(), catalog.Product{Title: "Tea", PriceMinor: 1999, Currency: "usd", StockTotal: stockTotal})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func newEnvOpt(t testing.TB, b *backend.Backends, ns string, opt order.Options) *env {
	t.Helper()
	ctx := context.Background()
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	st, err := stock.New(ctx, b.Redis, ns)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{b: b, ns: ns, cat: catalog.NewStore(b.SQL), stock: st, sandbox: sandbox.New("s3cret", time.Minute)}
	e.cache = catalog.NewCache(e.cat, time.Second)
	e.svc = order.NewService(order.NewStore(b.SQL, nil), st, e.cache, []payment.Provider{e.sandbox}, opt)
	return e
}

// restart is a second node (or the same one after a crash) on the same stores.
func (e *env) restart(t *testing.T, opt order.Options) *order.Service {
	if opt.Log == nil {
		opt.Log = testenv.Logger(t)
	}
	return order.NewService(order.NewStore(e.b.SQL, nil), e.stock, catalog.NewCache(e.cat, time.Second), []payment.Provider{e.sandbox}, opt)
}

func (e *env) product(t *testing.T, stockTotal int64, limit int) catalog.Product {
	t.Helper()
	p, err := e.cat.Create(context.Background(), catalog.Product{Title: "Tea", PriceMinor: 1999, Currency: "usd", StockTotal: stockTotal, PerUserLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) avail(t *testing.T, product string) int64 {
	t.Helper()
	a, _, ok, err := e.stock.Avail(context.Background(), product)
	if err != nil || !ok {
		t.Fatalf("avail of %s: ok %v err %v", product, ok, err)
	}
	return a
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.b.SQL.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pay starts a sandbox payment of o and returns its payment id.
func (e *env) pay(t *testing.T, o order.Order) string {
	t.Helper()
	co, err := e.svc.Payments.Pay(context.Background(), o.ID, o.UserID, false, "sandbox", "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return co.PaymentID
}
