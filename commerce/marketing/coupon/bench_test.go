package coupon

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
)

// latencies collects per-operation latencies from parallel goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// report adds ops/s and the p50 and p99 latency (ms) to b.
func (l *latencies) report(b *testing.B, unit string, start time.Time) {
	elapsed := time.Since(start)
	slices.Sort(l.all)
	if n := len(l.all); n > 0 {
		b.ReportMetric(float64(n)/elapsed.Seconds(), unit+"/s")
		b.ReportMetric(float64(l.all[n/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(l.all[min(n-1, n*99/100)].Microseconds())/1000, "p99-ms")
	}
	b.ReportMetric(0, "ns/op")
}

// parallel runs op in b.RunParallel with 128 goroutines in flight per
// core and reports its rate and latencies.
func parallel(b *testing.B, unit string, op func(ctx context.Context, i int64) error) {
	ctx := context.Background()
	var seq atomic.Int64
	var lat latencies
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if err := op(ctx, seq.Add(1)); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		lat.add(local)
	})
	b.StopTimer()
	lat.report(b, unit, start)
}

// BenchmarkClaims measures coupon claims on the real Redis and PostgreSQL
// beside the raw Redis ceiling, in the same run and with the same
// concurrency (64 goroutines per GOMAXPROCS):
//
//	redis-ceiling   a plain EVALSHA of a one-line INCR script
//	claim-script    the claim Lua script alone (quantity, per-user limit, idempotency)
//	claim           Service.Claim: the script, then the claim, its outbox
//	                event and audit row in SQL (group-committed)
//
// Run: go test -run XXX -bench BenchmarkClaims -benchtime 20000x ./commerce/marketing/coupon/
func BenchmarkClaims(b *testing.B) {
	bk := testenv.Backends(b, testenv.Real)
	ns := testenv.Namespace(b)
	s := newService(b, bk, ns, Rates{})
	ctx := context.Background()
	tpl := rushTemplate(10_000_000, 1)
	tpl, err := s.Create(ctx, tpl, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.ensureLoaded(ctx, &tpl); err != nil {
		b.Fatal(err)
	}
	b.Run("redis-ceiling", func(b *testing.B) {
		sc := redis.NewScript(`return redis.call('INCR', KEYS[1])`)
		key := "{" + ns + ":ceiling}"
		if err := sc.Load(ctx, bk.Redis).Err(); err != nil {
			b.Fatal(err)
		}
		parallel(b, "evalsha", func(ctx context.Context, _ int64) error {
			return bk.Redis.EvalSha(ctx, sc.Hash(), []string{key}).Err()
		})
	})
	b.Run("claim-script", func(b *testing.B) {
		run := fmt.Sprintf("s%d-", time.Now().UnixNano())
		parallel(b, "claims", func(ctx context.Context, i int64) error {
			user := run + fmt.Sprint(i)
			code, _, err := s.claims.claim(ctx, &tpl, user, claimID(tpl.ID, user, "1"), "", Rates{}, time.Now())
			if err == nil && code != claimDone {
				err = fmt.Errorf("claim script answered %d", code)
			}
			return err
		})
	})
	b.Run("claim", func(b *testing.B) {
		run := fmt.Sprintf("c%d-", time.Now().UnixNano())
		parallel(b, "claims", func(ctx context.Context, i int64) error {
			_, fresh, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: run + fmt.Sprint(i)}})
			if err == nil && !fresh {
				err = fmt.Errorf("claim %d not fresh", i)
			}
			return err
		})
	})
}
