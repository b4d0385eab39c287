package redpacket_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/redpacket"
	"github.com/livesell/livesell/internal/testenv"
)

// benchClients is how many grabbers run at once.
const benchClients = 32

// run splits b.N operations over benchClients goroutines and reports the
// throughput (ops/s) and the 99th percentile of one operation's latency.
func run(b *testing.B, op func(ctx context.Context, n int64) error) {
	ctx := context.Background()
	var next atomic.Int64
	lat := make([][]time.Duration, benchClients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for {
				n := next.Add(1) - 1
				if n >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := op(ctx, n); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkGrabs measures, in one run and with the same 32 clients: the
// raw Redis ceiling (INCR, one round trip of the cheapest write), the grab
// Lua script alone, and a whole grab (script + the packet's row + the
// wallet credit in SQL), on the embedded defaults and the real services.
//
//	go test -run '^$' -bench Grabs -benchtime 20000x ./commerce/marketing/redpacket/
func BenchmarkGrabs(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Real, testenv.Embedded} {
		b.Run(string(kind), func(b *testing.B) {
			be := testenv.Backends(b, kind)
			ns := testenv.Namespace(b)
			ctx := context.Background()
			if err := redpacketMigrate(ctx, be); err != nil {
				b.Fatal(err)
			}
			s, _ := newBenchService(b, be, ns)
			b.Run("redis-incr", func(b *testing.B) {
				run(b, func(ctx context.Context, n int64) error { return be.Redis.Incr(ctx, ns+":ceiling").Err() })
			})
			// Packets of 10,000 (the largest), as many as b.N needs.
			launch := func(b *testing.B, tag string) []string {
				var ids []string
				for i := 0; i*redpacket.MaxPackets < b.N; i++ {
					id := fmt.Sprintf("rp_bench_%s_%d_%d", tag, time.Now().UnixNano(), i)
					if _, err := s.Launch(ctx, id, redpacket.Spec{Room: "bench", Issuer: "shop", Currency: "CNY", TotalMinor: redpacket.MaxPackets * 100,
						Packets: redpacket.MaxPackets, Mode: redpacket.Lucky, Duration: time.Hour}, ""); err != nil {
						b.Fatal(err)
					}
					ids = append(ids, id)
				}
				return ids
			}
			b.Run("lua-grab", func(b *testing.B) {
				ids := launch(b, "lua")
				run(b, func(ctx context.Context, n int64) error {
					_, err := redpacket.GrabScript(ctx, be.Redis, ns, ids[n/redpacket.MaxPackets], "u"+strconv.FormatInt(n, 10))
					return err
				})
			})
			b.Run("grab", func(b *testing.B) {
				ids := launch(b, "svc")
				run(b, func(ctx context.Context, n int64) error {
					_, err := s.Grab(ctx, ids[n/redpacket.MaxPackets], "u"+strconv.FormatInt(n, 10))
					return err
				})
			})
		})
	}
}
