package outbox_test

import (
	"context"
	"database/sql"
	"strconv"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/outbox"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// Issue #11.23: relayed rows are pruned after the retention; rows not yet
// relayed never are.
func TestPruneDeletesOnlyRelayedRows(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		if err := schema.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		r, err := outbox.NewRelay(ctx, b.SQL, b.JetStream, ns, time.Hour, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		add := func(n int) {
			for i := 0; i < n; i++ {
				if err := b.SQL.InTx(ctx, func(tx *sql.Tx) error {
					_, err := outbox.Add(ctx, tx, events.OrderEvent{Type: events.OrderCreated, OrderID: "o" + strconv.Itoa(i)})
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func() int {
			var n int
			if err := b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM commerce_outbox`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		add(30)
		if n, err := r.Flush(ctx); err != nil || n != 30 {
			t.Fatalf("flush %d %v", n, err)
		}
		add(5) // not relayed yet
		if n, err := r.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("prune within the retention deleted %d (%v)", n, err)
		}
		if n, err := r.Prune(ctx, time.Now().Add(time.Second)); err != nil || n != 30 {
			t.Fatalf("prune deleted %d (%v); want the 30 relayed rows", n, err)
		}
		if got := count(); got != 5 {
			t.Fatalf("%d rows left; want the 5 unrelayed", got)
		}
		if p, _ := r.Pending(ctx); p != 5 {
			t.Fatalf("pending %d", p)
		}
	})
}
