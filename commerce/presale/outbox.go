package presale

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/outbox"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

var eventSeq atomic.Uint32

// eventID is time-ordered within one process, so one user's grant and
// revoke are relayed in the order they happened.
func eventID() string {
	return fmt.Sprintf("ent_%012x%08x%s", time.Now().UnixMilli(), eventSeq.Add(1), ids.New("")[12:20])
}

// addEvent writes ev to the presale outbox inside tx.
func addEvent(ctx context.Context, tx *sql.Tx, ev events.EntitlementEvent) error {
	ev.ID = eventID()
	ev.At = ev.At.UTC()
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("presale: event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO presale_outbox (id, event_type, payload, created_at) VALUES ($1, $2, $3, $4)`,
		ev.ID, ev.Type, string(body), ev.At.UnixMilli()); err != nil {
		return fmt.Errorf("presale: outbox: %w", err)
	}
	return nil
}

// Relay publishes the presale outbox to JetStream with Nats-Msg-Id set to
// the event id, oldest first (a crash or two relays never lose an event
// nor publish it twice within the duplicate window).
type Relay struct {
	db   *sqldb.DB
	js   jetstream.JetStream
	ns   string
	log  *slog.Logger
	kick chan struct{}
}

func newRelay(ctx context.Context, db *sqldb.DB, js jetstream.JetStream, ns string, log *slog.Logger) (*Relay, error) {
	if _, err := js.CreateOrUpdateStream(ctx, events.EntitlementsStreamConfig(ns)); err != nil {
		return nil, fmt.Errorf("presale: stream: %w", err)
	}
	return &Relay{db: db, js: js, ns: ns, log: log, kick: make(chan struct{}, 1)}, nil
}

// Kick asks the relay to publish now.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Retention is how long published events stay in the outbox.
const Retention = 7 * 24 * time.Hour

// Prune deletes the events published before before and returns how many.
func (r *Relay) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := r.db.ExecContext(ctx, `DELETE FROM presale_outbox WHERE published_at > 0 AND published_at < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("presale outbox: prune: %w", err)
	}
	return res.RowsAffected()
}

// Run publishes every second and on each kick, and prunes what was
// published more than Retention ago every hour, until ctx is done.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		if time.Since(lastPrune) > time.Hour {
			lastPrune = time.Now()
			if _, err := r.Prune(ctx, lastPrune.Add(-Retention)); err != nil && ctx.Err() == nil {
				r.log.Warn("presale outbox prune", "err", err)
			}
		}
		outbox.Drain(ctx, r.Flush, relayBatch, r.log, "presale outbox relay")
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

const relayBatch = 200

// Flush publishes one batch and returns how many rows it marked published.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	pending, err := outbox.ReadPending(ctx, r.db, "presale_outbox", relayBatch)
	if err != nil {
		return 0, fmt.Errorf("presale outbox: read: %w", err)
	}
	at := time.Now().UnixMilli()
	var done []string
	var pubErr error
	for _, x := range pending {
		msg := &nats.Msg{Subject: events.EntitlementSubject(r.ns, x.Type), Data: []byte(x.Payload), Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, x.ID)
		if _, err := r.js.PublishMsg(ctx, msg); err != nil {
			pubErr = fmt.Errorf("presale outbox: publish %s: %w", x.ID, err)
			break
		}
		done = append(done, x.ID)
	}
	if err := outbox.MarkPublished(ctx, r.db, "presale_outbox", at, done); err != nil {
		return 0, fmt.Errorf("presale outbox: mark: %w", err)
	}
	return len(done), pubErr
}
