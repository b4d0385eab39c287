package presale_test

import (
	"context"
	"testing"

	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/internal/testenv"
)

// BenchmarkPassHit is the admission check's cost on the fast path (the
// answer cached on this node), as WHEP and the interaction channel ask it
// on every join: a holder, a stranger, a room that sells no tickets.
func BenchmarkPassHit(b *testing.B) {
	be := testenv.Backends(b, testenv.Embedded)
	ctx := context.Background()
	e := newEnv(b, be, testenv.Namespace(b), 1)
	e.put(b, e.show("bench", presale.Tier{Name: "vip", Quantity: 10, Mode: presale.ModeFull, PriceMinor: 100, Sources: []string{"backstage"}}))
	if _, err := e.nodes[0].svc.Entitlements.Grant(ctx, "bench", "fan", "vip", "api"); err != nil {
		b.Fatal(err)
	}
	p := e.nodes[0].passes
	for _, c := range []struct{ name, room, user string }{{"holder", "bench", "fan"}, {"stranger", "bench", "nobody"}, {"open_room", "free", "fan"}} {
		if _, _, _, err := p.Pass(ctx, c.room, c.user); err != nil { // warm the cache
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, err := p.Pass(ctx, c.room, c.user); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
