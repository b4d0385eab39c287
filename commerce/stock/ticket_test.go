package stock_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestTicketScripts walks the ticket scripts' answers: steps taken in
// order, the per-user limit, the sales window, confirm and release once,
// a released place back in its own step, reinstate at the recorded step,
// and terms changed without losing the places taken.
func TestTicketScripts(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		tk := stock.NewTickets(b.Redis, ns)
		now := time.Now()
		if r, err := tk.Reserve(ctx, "show/std", "o0", "u0", now); err != nil || r.Code != stock.NotLoaded {
			t.Fatalf("before terms: %+v %v", r, err)
		}
		terms := stock.TicketTerms{Total: 3, PerUser: 1, Open: now.Add(-time.Minute), Close: now.Add(time.Hour),
			Steps: []stock.TicketStep{{Cap: 1, PriceMinor: 100}, {Cap: -1, PriceMinor: 200}}}
		if err := tk.Configure(ctx, "show/std", terms); err != nil {
			t.Fatal(err)
		}
		want := func(name string, r stock.TicketResult, err error, code stock.Code, step int, price, left int64) {
			t.Helper()
			if err != nil || r.Code != code || r.Step != step || r.PriceMinor != price || r.Left != left {
				t.Fatalf("%s: %+v %v; want code %s step %d price %d left %d", name, r, err, code, step, price, left)
			}
		}
		r, err := tk.Reserve(ctx, "show/std", "o1", "u1", now)
		want("first", r, err, stock.Done, 1, 100, 2)
		r, err = tk.Reserve(ctx, "show/std", "o1", "u1", now)
		want("retry", r, err, stock.Already, 1, 100, 2)
		r, err = tk.Reserve(ctx, "show/std", "o1b", "u1", now)
		want("limit", r, err, stock.Limit, 0, 0, 2)
		r, err = tk.Reserve(ctx, "show/std", "o2", "u2", now)
		want("second step", r, err, stock.Done, 2, 200, 1)
		r, err = tk.Reserve(ctx, "show/std", "ox", "ux", now.Add(-2*time.Minute))
		want("before open", r, err, stock.Closed, 0, 0, 1)
		r, err = tk.Reserve(ctx, "show/std", "ox", "ux", now.Add(time.Hour))
		want("after close", r, err, stock.Closed, 0, 0, 1)
		r, err = tk.Confirm(ctx, "show/std", "o1")
		want("confirm", r, err, stock.Done, 1, 0, 1)
		r, err = tk.Confirm(ctx, "show/std", "o1")
		want("confirm again", r, err, stock.Already, 1, 0, 1)
		r, err = tk.Release(ctx, "show/std", "o1")
		want("release", r, err, stock.Done, 1, 0, 2)
		r, err = tk.Release(ctx, "show/std", "o1")
		want("release again", r, err, stock.Already, 1, 0, 2)
		if st, _ := tk.State(ctx, "show/std", "o1"); st != stock.StateReleased {
			t.Fatalf("state %c", st)
		}
		r, err = tk.Reserve(ctx, "show/std", "o3", "u3", now)
		want("released early-bird place", r, err, stock.Done, 1, 100, 1)
		r, err = tk.Reinstate(ctx, "show/std", "o1", "u1", 0, stock.StateConfirmed)
		want("reinstate into a full step", r, err, stock.No, 1, 0, 1)
		r, err = tk.Reserve(ctx, "show/std", "o4", "u4", now)
		want("last place", r, err, stock.Done, 2, 200, 0)
		r, err = tk.Reserve(ctx, "show/std", "o5", "u5", now)
		want("sold out", r, err, stock.No, 0, 0, 0)
		taken, total, err := tk.Taken(ctx, "show/std", 2)
		if err != nil || total != 3 || taken[0] != 1 || taken[1] != 2 {
			t.Fatalf("taken %v %d %v", taken, total, err)
		}
		held, _, err := tk.Held(ctx, "show/std", 0, 100)
		if err != nil || len(held) != 3 {
			t.Fatalf("held %v %v", held, err)
		}
		// More places: the terms change, the places taken stay.
		terms.Total = 4
		if err := tk.Configure(ctx, "show/std", terms); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := tk.Taken(ctx, "show/std", 2); total != 3 {
			t.Fatalf("taken %d after new terms", total)
		}
		r, err = tk.Reinstate(ctx, "show/std", "o5", "u5", 2, stock.StateReserved)
		want("reinstate into step 2", r, err, stock.Done, 2, 200, 0)
	})
}

// TestTicketStepsNeverOverflow: many buyers at once fill each step to its
// cap exactly.
func TestTicketStepsNeverOverflow(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		tk := stock.NewTickets(b.Redis, ns)
		if err := tk.Configure(ctx, "s/t", stock.TicketTerms{Total: 60, Steps: []stock.TicketStep{{Cap: 20, PriceMinor: 1}, {Cap: 20, PriceMinor: 2}, {Cap: -1, PriceMinor: 3}}}); err != nil {
			t.Fatal(err)
		}
		results := make(chan stock.TicketResult, 300)
		for i := range 300 {
			go func() {
				r, err := tk.Reserve(ctx, "s/t", fmt.Sprint("o", i), fmt.Sprint("u", i), time.Now())
				if err != nil {
					t.Error(err)
				}
				results <- r
			}()
		}
		byPrice := map[int64]int{}
		for range 300 {
			if r := <-results; r.Code == stock.Done {
				byPrice[r.PriceMinor]++
			}
		}
		if byPrice[1] != 20 || byPrice[2] != 20 || byPrice[3] != 20 || len(byPrice) != 3 {
			t.Fatalf("by price %v", byPrice)
		}
	})
}

// BenchmarkTicketReserve is one ticket attempt's Redis cost (the script by
// SHA, one round trip): taking a place, and the sold-out answer.
func BenchmarkTicketReserve(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Real, testenv.Embedded} {
		be := testenv.Backends(b, kind)
		tk := stock.NewTickets(be.Redis, testenv.Namespace(b))
		ctx := context.Background()
		for _, c := range []struct {
			name  string
			total int64
		}{{"take", -1}, {"sold_out", 0}} {
			tier := "bench/" + c.name
			if err := tk.Configure(ctx, tier, stock.TicketTerms{Total: c.total, Steps: []stock.TicketStep{{Cap: 1000, PriceMinor: 1}, {Cap: -1, PriceMinor: 2}}}); err != nil {
				b.Fatal(err)
			}
			b.Run(string(kind)+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					if _, err := tk.Reserve(ctx, tier, "o"+fmt.Sprint(i), "u"+fmt.Sprint(i), time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
