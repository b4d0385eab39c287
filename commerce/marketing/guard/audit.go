package guard

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/internal/sqldb"
)

// Entry is one audited action.
type Entry struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	UserID  string    `json:"user_id"`
	Addr    string    `json:"addr,omitempty"`
	Room    string    `json:"room,omitempty"`
	Action  string    `json:"action"`
	Target  string    `json:"target,omitempty"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
}

// Audit writes and reads the audit trail and the accounts' first sighting.
type Audit struct {
	db  *sqldb.DB
	now func() time.Time
}

// NewAudit returns the audit trail on db (migrated with Migrate).
func NewAudit(db *sqldb.DB) *Audit { return &Audit{db: db, now: time.Now} }

// Record writes e (its ID and At are filled in when empty).
func (a *Audit) Record(ctx context.Context, e Entry) error {
	if e.ID == "" {
		e.ID = ids.New("aud_")
	}
	if e.At.IsZero() {
		e.At = a.now()
	}
	_, err := a.db.ExecContext(ctx, `INSERT INTO marketing_audit (id, at_ms, user_id, addr, room, action, target, outcome, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.ID, e.At.UnixMilli(), e.UserID, e.Addr, e.Room, e.Action, e.Target, e.Outcome, e.Detail)
	if err != nil {
		return fmt.Errorf("guard: audit: %w", err)
	}
	return nil
}

// Trail returns the newest entries about target (at most limit).
func (a *Audit) Trail(ctx context.Context, target string, limit int) ([]Entry, error) {
	rows, err := a.db.QueryContext(ctx, `SELECT id, at_ms, user_id, addr, room, action, target, outcome, detail FROM marketing_audit
		WHERE target = $1 ORDER BY at_ms DESC, id DESC LIMIT $2`, target, limit)
	if err != nil {
		return nil, fmt.Errorf("guard: audit trail: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var ms int64
		if err := rows.Scan(&e.ID, &ms, &e.UserID, &e.Addr, &e.Room, &e.Action, &e.Target, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("guard: audit trail: %w", err)
		}
		e.At = time.UnixMilli(ms).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Seen records that livesell saw user at t unless it saw it earlier, and
// returns when it first saw it.
func (a *Audit) Seen(ctx context.Context, user string, t time.Time) (time.Time, error) {
	if _, err := a.db.ExecContext(ctx, `INSERT INTO marketing_accounts (user_id, created_ms) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, user, t.UnixMilli()); err != nil {
		return time.Time{}, fmt.Errorf("guard: account: %w", err)
	}
	var ms int64
	err := a.db.QueryRowContext(ctx, `SELECT created_ms FROM marketing_accounts WHERE user_id = $1`, user).Scan(&ms)
	if err == sql.ErrNoRows {
		return t, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("guard: account: %w", err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// SetCreated records the shop's own creation time of user's account
// (replacing livesell's first sighting).
func (a *Audit) SetCreated(ctx context.Context, user string, t time.Time) error {
	_, err := a.db.ExecContext(ctx, `INSERT INTO marketing_accounts (user_id, created_ms) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET created_ms = excluded.created_ms`, user, t.UnixMilli())
	if err != nil {
		return fmt.Errorf("guard: account: %w", err)
	}
	return nil
}
