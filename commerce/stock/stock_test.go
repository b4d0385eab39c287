package stock_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func newStore(t testing.TB, b *backend.Backends, ns string) *stock.Store {
	t.Helper()
	s, err := stock.New(context.Background(), b.Redis, ns)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReserveNeverOversells(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s := newStore(t, b, ns)
		if _, err := s.Admin.Load(ctx, "p1", 100, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		var won, soldOut atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 2000; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.Reserve(ctx, "p1", "o"+strconv.Itoa(i), "u"+strconv.Itoa(i), 1, 1, time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				switch r.Code {
				case stock.Done:
					won.Add(1)
				case stock.No:
					soldOut.Add(1)
				default:
					t.Errorf("unexpected code %v", r.Code)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 100 || soldOut.Load() != 1900 {
			t.Fatalf("won %d sold out %d; want 100 and 1900", won.Load(), soldOut.Load())
		}
		avail, total, ok, err := s.Avail(ctx, "p1")
		if err != nil || !ok || avail != 0 || total != 100 {
			t.Fatalf("avail %d total %d ok %v err %v", avail, total, ok, err)
		}
	})
}

func TestPerUserLimitUnderConcurrency(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s := newStore(t, b, ns)
		s.Admin.Load(ctx, "p1", 1000, nil, time.Now())
		var won, limited atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := s.Reserve(ctx, "p1", "o"+strconv.Itoa(i), "same-user", 1, 3, time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				switch r.Code {
				case stock.Done:
					won.Add(1)
				case stock.Limit:
					limited.Add(1)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 3 || limited.Load() != 197 {
			t.Fatalf("won %d limited %d; want 3 and 197", won.Load(), limited.Load())
		}
		if held, _ := s.UserHeld(ctx, "p1", "same-user"); held != 3 {
			t.Fatalf("user holds %d; want 3", held)
		}
	})
}

func TestTransitionsAreExactlyOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s := newStore(t, b, ns)
		now := time.Now()
		s.Admin.Load(ctx, "p", 10, nil, now)
		steps := []struct {
			name  string
			do    func() (stock.Result, error)
			code  stock.Code
			avail int64
		}{
			{"reserve", func() (stock.Result, error) { return s.Reserve(ctx, "p", "o1", "u1", 3, 0, now) }, stock.Done, 7},
			{"reserve again is idempotent", func() (stock.Result, error) { return s.Reserve(ctx, "p", "o1", "u1", 3, 0, now) }, stock.Already, 7},
			{"release", func() (stock.Result, error) { return s.Release(ctx, "p", "o1", false) }, stock.Done, 10},
			{"release twice returns nothing more", func() (stock.Result, error) { return s.Release(ctx, "p", "o1", false) }, stock.Already, 10},
			{"confirm after release says no", func() (stock.Result, error) { return s.Confirm(ctx, "p", "o1") }, stock.No, 10},
			{"reinstate as paid", func() (stock.Result, error) { return s.Reinstate(ctx, "p", "o1", "u1", 3, stock.StateConfirmed, now) }, stock.Done, 7},
			{"reinstate again", func() (stock.Result, error) { return s.Reinstate(ctx, "p", "o1", "u1", 3, stock.StateConfirmed, now) }, stock.Already, 7},
			{"release of paid needs the flag", func() (stock.Result, error) { return s.Release(ctx, "p", "o1", false) }, stock.No, 7},
			{"refund releases paid", func() (stock.Result, error) { return s.Release(ctx, "p", "o1", true) }, stock.Done, 10},
			{"reserve o2", func() (stock.Result, error) { return s.Reserve(ctx, "p", "o2", "u2", 10, 0, now) }, stock.Done, 0},
			{"confirm o2", func() (stock.Result, error) { return s.Confirm(ctx, "p", "o2") }, stock.Done, 0},
			{"confirm o2 twice", func() (stock.Result, error) { return s.Confirm(ctx, "p", "o2") }, stock.Already, 0},
			{"sold out", func() (stock.Result, error) { return s.Reserve(ctx, "p", "o3", "u3", 1, 0, now) }, stock.No, 0},
			{"reinstate without stock", func() (stock.Result, error) { return s.Reinstate(ctx, "p", "o1", "u1", 3, stock.StateConfirmed, now) }, stock.No, 0},
			{"unknown order", func() (stock.Result, error) { return s.Release(ctx, "p", "nope", false) }, stock.NotLoaded, 0},
			{"unknown product", func() (stock.Result, error) { return s.Reserve(ctx, "q", "o9", "u", 1, 0, now) }, stock.NotLoaded, 0},
		}
		for _, st := range steps {
			r, err := st.do()
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if r.Code != st.code || r.Avail != st.avail {
				t.Fatalf("%s: got %v avail %d; want %v avail %d", st.name, r.Code, r.Avail, st.code, st.avail)
			}
		}
	})
}

func TestSetTotalKeepsHeldAndLoadRebuilds(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s := newStore(t, b, ns)
		now := time.Now()
		if _, err := s.Admin.SetTotal(ctx, "p", 5); err == nil {
			t.Fatal("set total of an unloaded product succeeded")
		}
		r, err := s.Admin.Load(ctx, "p", 10, []stock.Holding{{Order: "a", User: "u", Qty: 2, State: stock.StateReserved}, {Order: "b", User: "v", Qty: 3, State: stock.StateConfirmed}}, now)
		if err != nil || r.Code != stock.Done || r.Avail != 5 {
			t.Fatalf("load: %+v %v", r, err)
		}
		if r, _ := s.Admin.Load(ctx, "p", 99, nil, now); r.Code != stock.Already || r.Avail != 5 {
			t.Fatalf("second load changed stock: %+v", r)
		}
		if _, err := s.Admin.SetTotal(ctx, "p", 4); err == nil {
			t.Fatal("total below held accepted")
		}
		if r, err := s.Admin.SetTotal(ctx, "p", 20); err != nil || r.Avail != 15 {
			t.Fatalf("set total: %+v %v", r, err)
		}
		states, _ := s.Ledger.States(ctx, "p", "a", "b", "c")
		if states[0] != stock.StateReserved || states[1] != stock.StateConfirmed || states[2] != stock.StateNone {
			t.Fatalf("states %q", states)
		}
		stale, _ := s.Ledger.Stale(ctx, "p", now.Add(time.Second), 10)
		if len(stale) != 1 || stale[0] != "a" {
			t.Fatalf("stale %v; want [a]", stale)
		}
		if r, _ := s.Release(ctx, "p", "a", false); r.Code != stock.Done || r.Avail != 17 {
			t.Fatalf("release loaded reservation: %+v", r)
		}
	})
}

func TestReloadsOnNoScript(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s := newStore(t, b, ns)
		s.Admin.Load(ctx, "p", 1, nil, time.Now())
		if err := b.Redis.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		r, err := s.Reserve(ctx, "p", "o", "u", 1, 0, time.Now())
		if err != nil || r.Code != stock.Done {
			t.Fatalf("reserve after SCRIPT FLUSH: %+v %v", r, err)
		}
		b.Redis.ScriptFlush(ctx)
		s.Remember(ctx, "o", time.Minute)
		r, seen, err := s.ReserveRemembering(ctx, "p", "o2", "u", 1, 0, time.Now())
		if err != nil || r.Code != stock.No || seen {
			t.Fatalf("pipelined reserve after SCRIPT FLUSH: %+v seen %v %v", r, seen, err)
		}
		if r, seen, err := s.ReserveRemembering(ctx, "p", "o", "u", 1, 0, time.Now()); err != nil || r.Code != stock.Already || !seen {
			t.Fatalf("remembered order: %+v seen %v %v", r, seen, err)
		}
	})
}

func BenchmarkReserve(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Embedded, testenv.Real} {
		b.Run(string(kind), func(b *testing.B) {
			be := testenv.Backends(b, kind)
			ns := testenv.Namespace(b)
			s := newStore(b, be, ns)
			ctx := context.Background()
			s.Admin.Load(ctx, "p", int64(b.N)+1, nil, time.Now())
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = "o" + strconv.Itoa(i)
			}
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Reserve(ctx, "p", ids[i], "u", 1, 0, now); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			s.Admin.Forget(ctx, "p")
		})
	}
}

func BenchmarkReserveSoldOut(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Embedded, testenv.Real} {
		b.Run(string(kind), func(b *testing.B) {
			be := testenv.Backends(b, kind)
			s := newStore(b, be, testenv.Namespace(b))
			ctx := context.Background()
			s.Admin.Load(ctx, "p", 0, nil, time.Now())
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Reserve(ctx, "p", "o", "u", 1, 0, now); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			s.Admin.Forget(ctx, "p")
		})
	}
}
