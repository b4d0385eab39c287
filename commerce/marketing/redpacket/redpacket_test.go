package redpacket_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/redpacket"
	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func newService(t *testing.T, b *backend.Backends, ns string) (*redpacket.Service, *wallet.Store) {
	t.Helper()
	ctx := context.Background()
	if err := wallet.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	if err := redpacket.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	w := wallet.NewStore(b.SQL)
	return redpacket.New(b.Redis, ns, b.SQL, w, testenv.Logger(t)), w
}

// TestRushOfGrabs: 2,000 viewers grab a 100-packet red packet at once;
// exactly 100 get a packet, nobody twice, and the grabs — in Redis's
// answers and in the wallet ledger — sum to the total exactly.
func TestRushOfGrabs(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s, w := newService(t, b, ns)
		const total, packets, viewers = 88_888, 100, 2000
		p, err := s.Launch(ctx, "rp_rush_"+ns, redpacket.Spec{Room: "r1", Issuer: "shop", Currency: "CNY", TotalMinor: total, Packets: packets, MinMinor: 10, Mode: redpacket.Lucky, Duration: time.Minute}, "")
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu    sync.Mutex
			got   = map[string]int64{}
			empty int
			wg    sync.WaitGroup
			start = make(chan struct{})
		)
		for i := 0; i < viewers; i++ {
			wg.Add(1)
			go func(user string) {
				defer wg.Done()
				<-start
				g, err := s.Grab(ctx, p.ID, user)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					if _, dup := got[user]; dup {
						t.Errorf("%s grabbed twice", user)
					}
					got[user] = g.AmountMinor
				case err == redpacket.ErrEmpty:
					empty++
				default:
					t.Errorf("grab: %v", err)
				}
			}(fmt.Sprintf("u%04d", i))
		}
		close(start)
		wg.Wait()
		var sum int64
		for _, a := range got {
			if a < 10 {
				t.Errorf("a packet of %d is under the minimum 10", a)
			}
			sum += a
		}
		if len(got) != packets || empty != viewers-packets || sum != total {
			t.Fatalf("grabs %d (want %d), empty %d, sum %d (want %d)", len(got), packets, empty, sum, total)
		}
		// A second grab by a winner answers the same packet; nobody else gets one.
		for u, a := range got {
			g, err := s.Grab(ctx, p.ID, u)
			if err != nil || !g.Again || g.AmountMinor != a {
				t.Fatalf("regrab: %+v %v", g, err)
			}
			break
		}
		paid, err := w.Sum(ctx, wallet.KindRedPacket, p.ID+":", "CNY")
		if err != nil || paid != total {
			t.Fatalf("ledger paid %d, want %d (%v)", paid, total, err)
		}
		c, err := s.Close(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != redpacket.Closed || c.Grabbed != packets || c.PaidMinor != total || c.ReturnedMinor != 0 {
			t.Fatalf("closed packet %+v", c)
		}
		if bal, _ := w.Balance(ctx, "shop", "CNY"); bal != 0 {
			t.Fatalf("issuer got %d back from a packet fully grabbed", bal)
		}
	})
}

// TestRemainderReturned: what nobody grabbed goes back to the issuer once
// when the packet ends, and no grab succeeds after.
func TestRemainderReturned(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		s, w := newService(t, b, ns)
		p, err := s.Launch(ctx, "rp_rest", redpacket.Spec{Room: "r1", Issuer: "shop", Currency: "CNY", TotalMinor: 1000, Packets: 10, Mode: redpacket.Equal, Duration: time.Minute}, "")
		if err != nil {
			t.Fatal(err)
		}
		var grabbed int64
		for i := 0; i < 3; i++ {
			g, err := s.Grab(ctx, p.ID, fmt.Sprint("v", i))
			if err != nil || g.AmountMinor != 100 {
				t.Fatalf("equal grab %+v %v", g, err)
			}
			grabbed += g.AmountMinor
		}
		for i := 0; i < 2; i++ { // closing twice returns once
			c, err := s.Close(ctx, p.ID)
			if err != nil || c.ReturnedMinor != 700 || c.PaidMinor != 300 || c.Grabbed != 3 {
				t.Fatalf("close: %+v %v", c, err)
			}
		}
		if bal, _ := w.Balance(ctx, "shop", "CNY"); bal != 700 {
			t.Fatalf("issuer balance %d, want 700", bal)
		}
		if bal, _ := w.Balance(ctx, "v0", "CNY"); bal != 100 {
			t.Fatalf("grabber balance %d", bal)
		}
		if _, err := s.Grab(ctx, p.ID, "late"); err != redpacket.ErrClosed {
			t.Fatalf("grab after close: %v", err)
		}
	})
}

// TestSplits checks both split rules for many shapes: every packet at
// least the minimum, the sum exactly the total, equal packets differing by
// at most one minor unit.
func TestSplits(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	ns := testenv.Namespace(t)
	s, _ := newService(t, b, ns)
	ctx := context.Background()
	cases := []struct {
		total    int64
		n        int
		min      int64
		mode     string
		wantDiff int64 // max - min bound for equal (-1: unchecked)
	}{
		{100, 1, 1, redpacket.Lucky, -1},
		{100, 100, 1, redpacket.Lucky, -1},
		{1001, 10, 1, redpacket.Equal, 1},
		{5000, 7, 300, redpacket.Lucky, -1},
		{999_999, 333, 1, redpacket.Lucky, -1},
		{10, 3, 3, redpacket.Equal, 1},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			id := fmt.Sprintf("rp_split_%d", i)
			if _, err := s.Launch(ctx, id, redpacket.Spec{Room: "r1", Issuer: "shop", Currency: "CNY", TotalMinor: c.total, Packets: c.n, MinMinor: c.min, Mode: c.mode, Duration: time.Minute}, ""); err != nil {
				t.Fatal(err)
			}
			var sum, lo, hi int64 = 0, 1 << 62, 0
			for j := 0; j < c.n; j++ {
				g, err := s.Grab(ctx, id, fmt.Sprint("u", j))
				if err != nil {
					t.Fatal(err)
				}
				sum += g.AmountMinor
				lo, hi = min(lo, g.AmountMinor), max(hi, g.AmountMinor)
			}
			if _, err := s.Grab(ctx, id, "one-more"); err != redpacket.ErrEmpty {
				t.Fatalf("after %d grabs: %v", c.n, err)
			}
			if sum != c.total || lo < c.min || (c.wantDiff >= 0 && hi-lo > c.wantDiff) {
				t.Fatalf("sum %d of %d, packets in [%d, %d], min %d", sum, c.total, lo, hi, c.min)
			}
		})
	}
}

// TestSpecRefused lists the packets that cannot be launched.
func TestSpecRefused(t *testing.T) {
	for _, sp := range []redpacket.Spec{
		{Currency: "CNY", TotalMinor: 100, Packets: 0, Duration: time.Minute},
		{Currency: "CNY", TotalMinor: 100, Packets: 101, Duration: time.Minute},
		{Currency: "CNY", TotalMinor: 100, Packets: 10, MinMinor: 11, Duration: time.Minute},
		{Currency: "CNY", TotalMinor: 100, Packets: 10, Mode: "weird", Duration: time.Minute},
		{Currency: "CNY", TotalMinor: 100, Packets: 10},
		{TotalMinor: 100, Packets: 10, Duration: time.Minute},
		{Currency: "CNY", TotalMinor: redpacket.MaxTotal + 1, Packets: 10, Duration: time.Minute},
	} {
		if err := sp.Check(); err == nil {
			t.Errorf("%+v accepted", sp)
		}
	}
}

func redpacketMigrate(ctx context.Context, b *backend.Backends) error {
	if err := wallet.Migrate(ctx, b.SQL); err != nil {
		return err
	}
	return redpacket.Migrate(ctx, b.SQL)
}

func newBenchService(t testing.TB, b *backend.Backends, ns string) (*redpacket.Service, *wallet.Store) {
	w := wallet.NewStore(b.SQL)
	return redpacket.New(b.Redis, ns, b.SQL, w, slog.New(slog.DiscardHandler)), w
}
