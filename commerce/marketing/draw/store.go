package draw

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/sqldb"
)

// Store keeps draws in SQL.
type Store struct{ db *sqldb.DB }

const drawCols = `id, room, title, rule, keyword, tag, prize_json, winners_n, exclude_new, commitment, seed_hex, salt_hex, opens_ms, closes_ms, claim_ms, status, entries_json, winners_json, vetoed_json, closed_ms`

func (s *Store) insert(ctx context.Context, d Draw) error {
	prize, _ := json.Marshal(d.Prize)
	ex := 0
	if d.ExcludeNew {
		ex = 1
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO draws (`+drawCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '', '', '', 0)`,
		d.ID, d.Room, d.Title, d.Rule, d.Keyword, d.Tag, string(prize), d.Winners, ex, d.Commitment, d.seed, hex.EncodeToString(d.salt),
		d.OpensAt.UnixMilli(), d.ClosesAt.UnixMilli(), d.claim.Milliseconds(), d.Status)
	if err != nil {
		return fmt.Errorf("draw: insert: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanDraw(r scanner) (Draw, error) {
	var d Draw
	var prize, salt, entries, winners, vetoed string
	var ex int
	var opens, closes, claim, closed int64
	if err := r.Scan(&d.ID, &d.Room, &d.Title, &d.Rule, &d.Keyword, &d.Tag, &prize, &d.Winners, &ex, &d.Commitment, &d.seed, &salt,
		&opens, &closes, &claim, &d.Status, &entries, &winners, &vetoed, &closed); err != nil {
		return d, err
	}
	json.Unmarshal([]byte(prize), &d.Prize)
	d.salt, _ = hex.DecodeString(salt)
	d.ExcludeNew = ex == 1
	d.OpensAt, d.ClosesAt = time.UnixMilli(opens).UTC(), time.UnixMilli(closes).UTC()
	d.claim = time.Duration(claim) * time.Millisecond
	d.ClaimWindow = d.claim.String()
	if d.Status == Closed {
		d.Seed = d.seed
		r := &Result{Algorithm: Algorithm, ClosedAt: time.UnixMilli(closed).UTC()}
		r.ClaimUntil = r.ClosedAt.Add(d.claim)
		json.Unmarshal([]byte(entries), &r.entries)
		json.Unmarshal([]byte(winners), &r.WinnerIDs)
		json.Unmarshal([]byte(vetoed), &r.Vetoed)
		r.Entries = len(r.entries)
		d.Result = r
	}
	return d, nil
}

// Get returns draw id.
func (s *Store) Get(ctx context.Context, id string) (Draw, error) {
	d, err := scanDraw(s.db.QueryRowContext(ctx, `SELECT `+drawCols+` FROM draws WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Draw{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Draw{}, fmt.Errorf("draw: get: %w", err)
	}
	return d, nil
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Draw, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("draw: query: %w", err)
	}
	defer rows.Close()
	var out []Draw
	for rows.Next() {
		d, err := scanDraw(rows)
		if err != nil {
			return nil, fmt.Errorf("draw: query: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Room lists room's draws, newest first.
func (s *Store) Room(ctx context.Context, room string, limit int) ([]Draw, error) {
	return s.query(ctx, `SELECT `+drawCols+` FROM draws WHERE room = $1 ORDER BY opens_ms DESC, id DESC LIMIT $2`, room, limit)
}

// open lists every open draw.
func (s *Store) open(ctx context.Context) ([]Draw, error) {
	return s.query(ctx, `SELECT `+drawCols+` FROM draws WHERE status = $1 ORDER BY closes_ms LIMIT 1000`, Open)
}

// claimClose moves id from open to closing; false when it is not open
// (another node, or a second close, got there first).
func (s *Store) claimClose(ctx context.Context, id string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE draws SET status = $1 WHERE id = $2 AND status = $3`, closing, id, Open)
	if err != nil {
		return false, fmt.Errorf("draw: close: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// winner is one winner's private row.
type winner struct {
	user, pseudonym string
}

func (s *Store) finish(ctx context.Context, id string, entries, winnerIDs, vetoed []string, ws []winner, at time.Time) error {
	ej, _ := json.Marshal(entries)
	wj, _ := json.Marshal(winnerIDs)
	vj, _ := json.Marshal(vetoed)
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, w := range ws {
			if _, err := tx.ExecContext(ctx, `INSERT INTO draw_winners (draw_id, user_id, pseudonym) VALUES ($1, $2, $3) ON CONFLICT (draw_id, user_id) DO NOTHING`,
				id, w.user, w.pseudonym); err != nil {
				return fmt.Errorf("draw: winners: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE draws SET status = $1, entries_json = $2, winners_json = $3, vetoed_json = $4, closed_ms = $5 WHERE id = $6`,
			Closed, string(ej), string(wj), string(vj), at.UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("draw: finish: %w", err)
		}
		return nil
	})
}

// winnerRow returns user's winner row of draw id (found false: not a winner).
func (s *Store) winnerRow(ctx context.Context, id, user string) (claimed int64, ref string, found bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT claimed_ms, prize_ref FROM draw_winners WHERE draw_id = $1 AND user_id = $2`, id, user).Scan(&claimed, &ref)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("draw: winner: %w", err)
	}
	return claimed, ref, true, nil
}

func (s *Store) markClaimed(ctx context.Context, id, user, ref string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE draw_winners SET claimed_ms = $1, prize_ref = $2 WHERE draw_id = $3 AND user_id = $4 AND claimed_ms = 0`,
		at.UnixMilli(), ref, id, user)
	if err != nil {
		return fmt.Errorf("draw: claim: %w", err)
	}
	return nil
}

// Stats are a room's draw analytics.
type Stats struct {
	Draws   int `json:"draws"`
	Entries int `json:"entries"`
	Winners int `json:"winners"`
	Claimed int `json:"claimed"`
}

// Stats sums room's closed draws.
func (s *Store) Stats(ctx context.Context, room string) (Stats, error) {
	var st Stats
	ds, err := s.query(ctx, `SELECT `+drawCols+` FROM draws WHERE room = $1 AND status = $2`, room, Closed)
	if err != nil {
		return st, err
	}
	for _, d := range ds {
		st.Draws++
		st.Entries += d.Result.Entries
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN w.claimed_ms > 0 THEN 1 ELSE 0 END), 0)
		FROM draw_winners w JOIN draws d ON d.id = w.draw_id WHERE d.room = $1`, room).Scan(&st.Winners, &st.Claimed)
	if err != nil {
		return st, fmt.Errorf("draw: stats: %w", err)
	}
	return st, nil
}
