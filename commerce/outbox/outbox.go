// Package outbox makes order events durable: they are written to the
// commerce_outbox table in the same SQL transaction as the state change
// (Add), and a Relay publishes them to the JetStream stream <NS>_ORDERS with
// Nats-Msg-Id set to the outbox id, so that a crash or two relays racing
// never lose an event nor publish it twice within the stream's duplicate
// window.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/internal/events"
)

var seq atomic.Uint32

// newID is time-ordered within one process even inside one millisecond, so
// that a relay publishes one order's events in the order they happened.
func newID() string {
	return fmt.Sprintf("evt_%012x%08x%s", time.Now().UnixMilli(), seq.Add(1), ids.New("")[12:20])
}

// Row is an event ready to be written: its id and its outbox columns.
type Row struct {
	ID, Type, Payload string
	CreatedAt         int64
}

// Columns are the outbox columns in the order of Row.Args.
const Columns = `id, event_type, payload, created_at`

// Args are the values of Columns.
func (r Row) Args() []any { return []any{r.ID, r.Type, r.Payload, r.CreatedAt} }

// NewRow gives ev its id and encodes it, for a caller that writes the row
// in a statement of its own (see Add).
func NewRow(ev events.OrderEvent) (Row, error) {
	ev.ID = newID()
	if ev.At.IsZero() {
		ev.At = time.Now().UTC()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Row{}, fmt.Errorf("outbox: encode: %w", err)
	}
	return Row{ID: ev.ID, Type: ev.Type, Payload: string(body), CreatedAt: ev.At.UnixMilli()}, nil
}

// Add writes ev to the outbox inside tx, giving it its id (returned).
func Add(ctx context.Context, tx *sql.Tx, ev events.OrderEvent) (string, error) {
	row, err := NewRow(ev)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO commerce_outbox (`+Columns+`) VALUES ($1, $2, $3, $4)`, row.Args()...); err != nil {
		return "", fmt.Errorf("outbox: add: %w", err)
	}
	return row.ID, nil
}
