package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

// Relay publishes unpublished outbox rows to JetStream, oldest first.
type Relay struct {
	db    *sqldb.DB
	js    jetstream.JetStream
	ns    string
	log   *slog.Logger
	every time.Duration
	kick  chan struct{}
}

// EnsureStream creates (or updates) the order events stream of ns.
func EnsureStream(ctx context.Context, js jetstream.JetStream, ns string) error {
	_, err := js.CreateOrUpdateStream(ctx, events.OrdersStreamConfig(ns))
	if err != nil {
		return fmt.Errorf("outbox: stream %s: %w", events.OrdersStream(ns), err)
	}
	return nil
}

// NewRelay ensures the stream exists and returns a relay that polls every
// `every` (and whenever Kick is called).
func NewRelay(ctx context.Context, db *sqldb.DB, js jetstream.JetStream, ns string, every time.Duration, log *slog.Logger) (*Relay, error) {
	if err := EnsureStream(ctx, js, ns); err != nil {
		return nil, err
	}
	if every <= 0 {
		every = time.Second
	}
	return &Relay{db: db, js: js, ns: ns, log: log, every: every, kick: make(chan struct{}, 1)}, nil
}

// Kick asks the relay to publish now (after a commit that added events).
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is done.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		Drain(ctx, r.Flush, batch, r.log, "outbox relay")
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

const batch = 200

// Drain calls flush (one batch of a relay) until it publishes fewer than
// batch rows or fails; a failure is logged as msg unless ctx is done, and
// the relay tries again on its next tick or kick.
func Drain(ctx context.Context, flush func(context.Context) (int, error), batch int, log *slog.Logger, msg string) {
	for {
		n, err := flush(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn(msg, "err", err)
			}
			return
		}
		if n < batch {
			return
		}
	}
}

// Flush publishes one batch of unpublished events and returns how many.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	pending, err := ReadPending(ctx, r.db, "commerce_outbox", batch)
	if err != nil {
		return 0, fmt.Errorf("outbox: read: %w", err)
	}
	// Publish the batch pipelined (each acknowledged by the stream), then
	// mark what was acknowledged in one statement.
	futures := make([]jetstream.PubAckFuture, 0, len(pending))
	var pubErr error
	for _, x := range pending {
		msg := &nats.Msg{Subject: events.OrderSubject(r.ns, x.Type), Data: []byte(x.Payload), Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, x.ID)
		f, err := r.js.PublishMsgAsync(msg)
		if err != nil {
			pubErr = fmt.Errorf("outbox: publish %s: %w", x.ID, err)
			break
		}
		futures = append(futures, f)
	}
	at := time.Now().UnixMilli()
	done := make([]string, 0, len(futures))
	for i, f := range futures {
		select {
		case <-f.Ok():
			done = append(done, pending[i].ID)
		case err := <-f.Err():
			if pubErr == nil {
				pubErr = fmt.Errorf("outbox: publish %s: %w", pending[i].ID, err)
			}
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if err := MarkPublished(ctx, r.db, "commerce_outbox", at, done); err != nil {
		return 0, fmt.Errorf("outbox: mark published: %w", err)
	}
	if pubErr != nil {
		return len(done), pubErr
	}
	return len(pending), nil
}

// Pending counts events not yet published (for tests and metrics).
func (r *Relay) Pending(ctx context.Context) (int, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM commerce_outbox WHERE published_at = 0`).Scan(&n)
	if err != nil && !errors.Is(err, context.Canceled) {
		return 0, fmt.Errorf("outbox: pending: %w", err)
	}
	return n, err
}

// pruneBatch bounds the rows one prune statement deletes.
const pruneBatch = 5000

// Prune deletes the rows relayed before t (their events are in the stream,
// whose own limits keep them from then on) and returns how many it deleted.
// Rows not yet relayed are never deleted.
func (r *Relay) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := r.db.ExecContext(ctx, `DELETE FROM commerce_outbox WHERE id IN
			(SELECT id FROM commerce_outbox WHERE published_at > 0 AND published_at < $1 LIMIT $2)`, before.UnixMilli(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("outbox: prune: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// RunPruner deletes rows relayed more than retention ago, every `every`,
// until ctx is done.
func (r *Relay) RunPruner(ctx context.Context, retention, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := r.Prune(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
			r.log.Warn("outbox prune", "err", err)
		} else if n > 0 {
			r.log.Info("outbox pruned", "rows", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
