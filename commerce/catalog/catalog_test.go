package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

func TestPrice(t *testing.T) {
	now := time.Now()
	before, after := now.Add(-time.Hour), now.Add(time.Hour)
	p := catalog.Product{ID: "p", PriceMinor: 1000}
	cases := []struct {
		name  string
		pr    *catalog.Presenting
		price int64
		open  bool
	}{
		{"not presented", nil, 1000, true},
		{"another product presented", &catalog.Presenting{ProductID: "q", LivePriceMinor: 1}, 1000, true},
		{"live price, no window", &catalog.Presenting{ProductID: "p", LivePriceMinor: 800}, 800, true},
		{"sale not started", &catalog.Presenting{ProductID: "p", LivePriceMinor: 800, SaleStartsAt: &after}, 1000, false},
		{"sale running", &catalog.Presenting{ProductID: "p", LivePriceMinor: 800, SaleStartsAt: &before, SaleEndsAt: &after}, 800, true},
		{"sale over", &catalog.Presenting{ProductID: "p", LivePriceMinor: 800, SaleEndsAt: &before}, 1000, true},
		{"window without live price", &catalog.Presenting{ProductID: "p", SaleStartsAt: &before}, 1000, true},
	}
	for _, c := range cases {
		price, open := c.pr.Price(p, now)
		if price != c.price || open != c.open {
			t.Errorf("%s: price %d open %v; want %d %v", c.name, price, open, c.price, c.open)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := catalog.Product{Title: " Tea ", PriceMinor: 100, Currency: "usd"}
	if err := catalog.Validate(&ok); err != nil || ok.Title != "Tea" || ok.Currency != "USD" || ok.Images == nil {
		t.Fatalf("valid product: %+v %v", ok, err)
	}
	bad := []catalog.Product{
		{Title: "", PriceMinor: 1, Currency: "USD"},
		{Title: "x", PriceMinor: 0, Currency: "USD"},
		{Title: "x", PriceMinor: 1, Currency: "US"},
		{Title: "x", PriceMinor: 1, Currency: "U$D"},
		{Title: "x", PriceMinor: 1, Currency: "USD", PerUserLimit: -1},
		{Title: "x", PriceMinor: 1, Currency: "USD", StockTotal: -5},
		{Title: "x", PriceMinor: 1, Currency: "USD", Images: []string{"javascript:alert(1)"}},
	}
	for _, p := range bad {
		if err := catalog.Validate(&p); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

type fixedStock struct{ avail atomic.Int64 }

func (f *fixedStock) Avail(ctx context.Context, product string) (int64, int64, bool, error) {
	return f.avail.Load(), 100, true, nil
}

// Stock changes republish the card throttled, ending with the last value.
func TestCardsThrottleStockUpdates(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := schema.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		store := catalog.NewStore(b.SQL)
		p, err := store.Create(ctx, catalog.Product{Title: "Tea", PriceMinor: 100, Currency: "USD", StockTotal: 100})
		if err != nil {
			t.Fatal(err)
		}
		st := &fixedStock{}
		st.avail.Store(100)
		cards, err := catalog.NewCards(ctx, b.JetStream, ns, store, st, 200*time.Millisecond, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cards.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		var got atomic.Int64
		var last atomic.Value
		sub, err := b.NATS.Subscribe(events.CardSubject(ns, "r1"), func(m *nats.Msg) {
			var c events.ProductCard
			json.Unmarshal(m.Data, &c)
			got.Add(1)
			last.Store(c)
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		pr := catalog.Presenting{Room: "r1", ProductID: p.ID}
		if _, err := cards.Show(ctx, pr, p); err != nil {
			t.Fatal(err)
		}
		for i := 99; i >= 50; i-- {
			cards.StockChanged(p.ID, int64(i))
			cards.StockChanged("other", 1)
		}
		testenv.Eventually(t, 5*time.Second, func() bool {
			c, ok := last.Load().(events.ProductCard)
			return ok && c.StockLeft == 50
		}, "the card never showed the last stock")
		if n := got.Load(); n < 2 || n > 4 {
			t.Fatalf("%d cards published for 50 stock changes; want the shown card and 1-3 throttled updates", n)
		}
		if err := cards.Hide(ctx, "r1"); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 5*time.Second, func() bool {
			c, ok := last.Load().(events.ProductCard)
			return ok && !c.Shown
		}, "the hidden card never arrived")
	})
}
