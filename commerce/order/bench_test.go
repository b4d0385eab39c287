package order_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/testenv"
)

// BenchmarkCreateSoldOut is the service-level path of a buyer who is told
// "sold out": validation, the cached product, one pipelined Redis round
// trip (reserve + idempotency marker).
func BenchmarkCreateSoldOut(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Embedded, testenv.Real} {
		b.Run(string(kind), func(b *testing.B) {
			be := testenv.Backends(b, kind)
			e := newEnvTB(b, be, testenv.Namespace(b))
			p := e.productTB(b, 0)
			ctx := context.Background()
			keys := make([]string, b.N)
			for i := range keys {
				keys[i] = "k" + strconv.Itoa(i)
			}
			req := order.Request{ProductID: p.ID, Quantity: 1}
			e.svc.Create(ctx, "warm", "warm", req) // loads the product into the cache
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := e.svc.Create(ctx, "buyer", keys[i], req); err != order.ErrSoldOut {
					b.Fatal(err)
				}
			}
		})
	}
}
