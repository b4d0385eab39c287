package reminder

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the reminder migrations under the "reminder" component.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, migrations, "reminder", "reminder schema")
}

// Job states.
const (
	statePending   = "pending"
	stateSent      = "sent"
	stateCancelled = "cancelled"
	stateSkipped   = "skipped"
	stateFailed    = "failed"
)

// execer is a *sql.DB or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// JobID is the job's (and its messages' idempotency) id: the same for the
// same (user, show, kind), whoever plans it.
func JobID(userID, room, kind string) string {
	h := sha256.Sum256([]byte(userID + "\x00" + room + "\x00" + kind))
	return "rm_" + hex.EncodeToString(h[:12])
}

// upsert plans j: a new row, or a job not yet sent moved to j's time and
// payload (a job being sent keeps its lease: the sender finishes it).
func upsert(ctx context.Context, x execer, j Job, state string, now time.Time) error {
	payload, err := json.Marshal(j.Payload)
	if err != nil {
		return fmt.Errorf("reminder: payload: %w", err)
	}
	var starts int64
	if !j.StartsAt.IsZero() {
		starts = j.StartsAt.UnixMilli()
	}
	_, err = x.ExecContext(ctx, `INSERT INTO reminder_jobs
		(id, user_id, room, kind, due_at, before_ms, starts_at, payload, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		ON CONFLICT (user_id, room, kind) DO UPDATE SET due_at = excluded.due_at, before_ms = excluded.before_ms,
			starts_at = excluded.starts_at, payload = excluded.payload, state = excluded.state, attempts = 0,
			last_error = '', updated_at = excluded.updated_at
		WHERE reminder_jobs.state <> 'sent'`,
		JobID(j.UserID, j.Room, j.Kind), j.UserID, j.Room, j.Kind, j.DueAt.UnixMilli(), j.before.Milliseconds(), starts,
		string(payload), state, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("reminder: plan %s: %w", j.Kind, err)
	}
	return nil
}

// cancelJobs cancels the unsent jobs of user in room (every user when
// userID is empty) of kind (every kind, but never except, when kind is empty).
func cancelJobs(ctx context.Context, x execer, room, userID, kind, except string, now time.Time) (int64, error) {
	q := `UPDATE reminder_jobs SET state = 'cancelled', updated_at = $1 WHERE room = $2 AND state IN ('pending', 'skipped', 'failed')`
	args := []any{now.UnixMilli(), room}
	if userID != "" {
		args = append(args, userID)
		q += fmt.Sprintf(" AND user_id = $%d", len(args))
	}
	if kind != "" {
		args = append(args, kind)
		q += fmt.Sprintf(" AND kind = $%d", len(args))
	}
	if except != "" {
		args = append(args, except)
		q += fmt.Sprintf(" AND kind <> $%d", len(args))
	}
	res, err := x.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("reminder: cancel: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// moveStart moves the unsent start reminders of room to startsAt. A
// reminder whose new time has passed is due at once (the sender sends only
// the closest of several that are due, and none after the start).
func moveStart(ctx context.Context, x execer, room string, startsAt, now time.Time) (int64, error) {
	s := startsAt.UnixMilli()
	res, err := x.ExecContext(ctx, `UPDATE reminder_jobs SET starts_at = $1, due_at = $1 - before_ms, state = 'pending',
		attempts = 0, last_error = '', updated_at = $2
		WHERE room = $3 AND before_ms > 0 AND state IN ('pending', 'skipped', 'failed')`, s, now.UnixMilli(), room)
	if err != nil {
		return 0, fmt.Errorf("reminder: move: %w", err)
	}
	n, _ := res.RowsAffected()
	// Other jobs keep their time but carry the new start in their message.
	if _, err := x.ExecContext(ctx, `UPDATE reminder_jobs SET starts_at = $1, updated_at = $2
		WHERE room = $3 AND before_ms = 0 AND state = 'pending'`, s, now.UnixMilli(), room); err != nil {
		return 0, fmt.Errorf("reminder: move: %w", err)
	}
	return n, nil
}

// firstSeen records eventID and reports whether it was new.
func firstSeen(ctx context.Context, x execer, eventID string, now time.Time) (bool, error) {
	if eventID == "" {
		return true, nil
	}
	res, err := x.ExecContext(ctx, `INSERT INTO reminder_events_seen (event_id, at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING`, eventID, now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("reminder: event seen: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// setHolder records that user holds (or no longer holds) a ticket for room.
func setHolder(ctx context.Context, x execer, room, userID, tier string, active bool, now time.Time) error {
	a := 0
	if active {
		a = 1
	}
	_, err := x.ExecContext(ctx, `INSERT INTO reminder_holders (room, user_id, tier, active, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (room, user_id) DO UPDATE SET tier = CASE WHEN excluded.tier = '' THEN reminder_holders.tier ELSE excluded.tier END,
			active = excluded.active, updated_at = excluded.updated_at`, room, userID, tier, a, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("reminder: holder: %w", err)
	}
	return nil
}

// holders lists the active ticket holders of room.
func holders(ctx context.Context, x execer, room string) ([]string, error) {
	rows, err := x.QueryContext(ctx, `SELECT user_id FROM reminder_holders WHERE room = $1 AND active = 1 ORDER BY user_id`, room)
	if err != nil {
		return nil, fmt.Errorf("reminder: holders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("reminder: holders: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// claimed is a job a node holds the lease of.
type claimed struct {
	id, userID, room, kind string
	before                 time.Duration
	dueAt, startsAt        time.Time
	payload                map[string]string
	attempts               int
}

// claim leases up to limit jobs due at now to owner until wall+lease. Due
// times are the scheduler's clock; leases are real time (a lease is about
// whether a process is alive, not about the business calendar). On
// PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so nodes
// claiming at once take different jobs; on SQLite the transaction is the
// single writer (sqldb opens it with _txlock=immediate).
func claim(ctx context.Context, db *sqldb.DB, owner string, now, wall time.Time, lease time.Duration, limit int) ([]claimed, error) {
	var out []claimed
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT id, user_id, room, kind, before_ms, due_at, starts_at, payload, attempts FROM reminder_jobs
			WHERE state = 'pending' AND due_at <= $1 AND lease_until <= $2 ORDER BY due_at LIMIT $3`+db.SkipLocked(), now.UnixMilli(), wall.UnixMilli(), limit)
		if err != nil {
			return fmt.Errorf("reminder: claim: %w", err)
		}
		for rows.Next() {
			var c claimed
			var before, due, starts int64
			var payload string
			if err := rows.Scan(&c.id, &c.userID, &c.room, &c.kind, &before, &due, &starts, &payload, &c.attempts); err != nil {
				rows.Close()
				return fmt.Errorf("reminder: claim: %w", err)
			}
			c.before = time.Duration(before) * time.Millisecond
			c.dueAt = time.UnixMilli(due).UTC()
			if starts > 0 {
				c.startsAt = time.UnixMilli(starts).UTC()
			}
			if err := json.Unmarshal([]byte(payload), &c.payload); err != nil {
				c.payload = nil
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reminder: claim: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		args := []any{wall.Add(lease).UnixMilli(), owner, now.UnixMilli()}
		for i, c := range out {
			args = append(args, c.id)
			ids[i] = fmt.Sprintf("$%d", len(args))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reminder_jobs SET lease_until = $1, lease_owner = $2, attempts = attempts + 1, updated_at = $3
			WHERE id IN (`+strings.Join(ids, ", ")+`)`, args...); err != nil {
			return fmt.Errorf("reminder: claim: %w", err)
		}
		return nil
	})
	return out, err
}

// delivered lists the channels job was already delivered (or skipped) on.
func delivered(ctx context.Context, x execer, jobID string) (map[string]bool, error) {
	rows, err := x.QueryContext(ctx, `SELECT channel FROM reminder_deliveries WHERE job_id = $1`, jobID)
	if err != nil {
		return nil, fmt.Errorf("reminder: deliveries: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, fmt.Errorf("reminder: deliveries: %w", err)
		}
		out[ch] = true
	}
	return out, rows.Err()
}

// recordDelivery notes that job is done on channel (outcome sent or skipped).
func recordDelivery(ctx context.Context, x execer, jobID, channel, outcome, detail string, now time.Time) error {
	_, err := x.ExecContext(ctx, `INSERT INTO reminder_deliveries (job_id, channel, outcome, detail, at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (job_id, channel) DO NOTHING`, jobID, channel, outcome, clip(detail, 500), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("reminder: record delivery: %w", err)
	}
	return nil
}

// finish ends owner's lease on job with state (sent, skipped or failed).
// It reports false when the lease was lost (another node took the job).
func finish(ctx context.Context, x execer, jobID, owner, state, errText string, now time.Time) (bool, error) {
	sentAt := int64(0)
	if state == stateSent {
		sentAt = now.UnixMilli()
	}
	// A job cancelled while it was being sent stays cancelled unless it
	// was in fact sent.
	from := "'pending'"
	if state == stateSent {
		from = "'pending', 'cancelled'"
	}
	res, err := x.ExecContext(ctx, `UPDATE reminder_jobs SET state = $1, sent_at = $2, lease_until = 0, lease_owner = '', last_error = $3, updated_at = $4
		WHERE id = $5 AND lease_owner = $6 AND state IN (`+from+`)`, state, sentAt, clip(errText, 500), now.UnixMilli(), jobID, owner)
	if err != nil {
		return false, fmt.Errorf("reminder: finish: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// retryLater ends owner's lease and lets the job be claimed again at
// retryAt (real time, like leases).
func retryLater(ctx context.Context, x execer, jobID, owner, errText string, retryAt, now time.Time) error {
	_, err := x.ExecContext(ctx, `UPDATE reminder_jobs SET lease_until = $1, lease_owner = '', last_error = $2, updated_at = $3
		WHERE id = $4 AND lease_owner = $5`, retryAt.UnixMilli(), clip(errText, 500), now.UnixMilli(), jobID, owner)
	if err != nil {
		return fmt.Errorf("reminder: retry: %w", err)
	}
	return nil
}

// closerDue reports whether another start reminder of the same user and
// show, closer to the start, is also due: then c says nothing new.
func closerDue(ctx context.Context, x execer, c claimed, now time.Time) (bool, error) {
	var n int
	err := x.QueryRowContext(ctx, `SELECT count(*) FROM reminder_jobs WHERE user_id = $1 AND room = $2 AND before_ms > 0
		AND before_ms < $3 AND state = 'pending' AND due_at <= $4`, c.userID, c.room, c.before.Milliseconds(), now.UnixMilli()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reminder: closer due: %w", err)
	}
	return n > 0, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
