package wallet_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestConcurrentDebitsNeverOverdraw: 50 concurrent gifts of 30 from a
// balance of 1,000 — exactly 33 go through, the balance ends at 10, and a
// movement retried with its ref is applied once.
func TestConcurrentDebitsNeverOverdraw(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		if err := wallet.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		w := wallet.NewStore(b.SQL)
		for i := 0; i < 3; i++ { // a replayed top-up credits once
			if _, err := w.Move(ctx, "amy", "CNY", 1000, wallet.KindTopUp, "ord_1"); err != nil {
				t.Fatal(err)
			}
		}
		var ok, refused atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := w.Move(ctx, "amy", "CNY", -30, wallet.KindGift, fmt.Sprint("g", i))
				switch err {
				case nil:
					ok.Add(1)
				case wallet.ErrInsufficient:
					refused.Add(1)
				default:
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		bal, err := w.Balance(ctx, "amy", "CNY")
		if err != nil || ok.Load() != 33 || refused.Load() != 17 || bal != 10 {
			t.Fatalf("debits %d ok, %d refused, balance %d (%v); want 33, 17, 10", ok.Load(), refused.Load(), bal, err)
		}
		if applied, err := w.Move(ctx, "amy", "CNY", -30, wallet.KindGift, "g0"); err != nil && err != wallet.ErrInsufficient || applied {
			t.Fatalf("a retried debit: applied %v, %v", applied, err)
		}
		l, err := w.Ledger(ctx, "amy", 100)
		if err != nil || len(l) != 34 {
			t.Fatalf("ledger %d lines (%v), want 34", len(l), err)
		}
		if _, err := w.Move(ctx, "amy", "CNY", 0, wallet.KindGift, "z"); err == nil {
			t.Fatal("a zero movement was accepted")
		}
	})
}
