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

// Add writes ev to the outbox inside tx, giving it its id (returned).
func Add(ctx context.Context, tx *sql.Tx, ev events.OrderEvent) (string, error) {
	ev.ID = newID()
	if ev.At.IsZero() {
		ev.At = time.Now().UTC()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("outbox: encode: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO commerce_outbox (id, event_type, payload, created_at) VALUES ($1, $2, $3, $4)`,
		ev.ID, ev.Type, string(body), ev.At.UnixMilli()); err != nil {
		return "", fmt.Errorf("outbox: add: %w", err)
	}
	return ev.ID, nil
}
