package order_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// counting counts the checkouts a provider is asked to begin.
type counting struct {
	payment.Provider
	begins atomic.Int64
}

func (c *counting) Begin(ctx context.Context, ch payment.Charge) (payment.Checkout, error) {
	c.begins.Add(1)
	return c.Provider.Begin(ctx, ch)
}

// Issue #11.14: 300 calls to pay one order make one provider attempt; all
// get the same checkout.
func TestPayReusesTheOpenAttempt(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		prov := &counting{Provider: e.sandbox}
		svc := order.NewService(order.NewStore(b.SQL, nil), e.stock, catalog.NewCache(e.cat, 0), []payment.Provider{prov}, order.Options{Log: testenv.Logger(t)})
		p := e.product(t, 10, 0)
		ctx := context.Background()
		o, _, err := svc.Create(ctx, "u", "k", order.Request{ProductID: p.ID, Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, 300)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				co, err := svc.Payments.Pay(ctx, o.ID, "u", false, "sandbox", "http://127.0.0.1")
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = co.PaymentID + co.RedirectURL
			}()
		}
		wg.Wait()
		if n := prov.begins.Load(); n != 1 {
			t.Fatalf("%d provider attempts; want 1", n)
		}
		for _, id := range ids {
			if id != ids[0] || id == "" {
				t.Fatalf("checkouts differ: %q vs %q", id, ids[0])
			}
		}
		if n, err := svc.Store().PaymentCount(ctx, o.ID); err != nil || n != 1 {
			t.Fatalf("%d payment rows (%v); want 1", n, err)
		}
	})
}
