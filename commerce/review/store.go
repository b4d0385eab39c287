package review

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNoShow means no show has that id.
var ErrNoShow = errors.New("review: no such show")

// Migrate applies the review migrations (component "review") that db has
// not seen yet.
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, migrations, "review", "review schema")
}

// Store keeps the shows and the events their reports are computed from.
type Store struct{ db *sqldb.DB }

// NewStore returns a store on db (migrated by Migrate).
func NewStore(db *sqldb.DB) *Store { return &Store{db: db} }

// Show is one live of a room, from going live to its end.
type Show struct {
	ID        string    `json:"id"`
	Room      string    `json:"room"`
	StartedAt time.Time `json:"started_at"`
	// EndedAt is zero while the show runs.
	EndedAt time.Time `json:"ended_at,omitzero"`
}

// Ended reports whether the show is over.
func (s Show) Ended() bool { return !s.EndedAt.IsZero() }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// state applies a room state change at at: live opens a show unless one
// runs; ended closes the running one (returned, for the final report).
// Every node may apply the same change: the show's id is derived from its
// room and start, and only the node whose update closed it gets it back.
func (s *Store) state(ctx context.Context, room, state string, at time.Time) (ended *Show, err error) {
	// The show of the room at that time (a node late with an old event
	// must not touch a newer show).
	shows, err := s.query(ctx, `WHERE room = $1 AND started_at <= $2 ORDER BY started_at DESC LIMIT 1`, room, ms(at))
	if err != nil {
		return nil, err
	}
	var cur *Show
	if len(shows) == 1 && !shows[0].Ended() {
		cur = &shows[0]
	}
	switch state {
	case "live":
		if cur != nil || (len(shows) == 1 && shows[0].StartedAt.Equal(at.UTC().Truncate(time.Millisecond))) {
			return nil, nil
		}
		_, err = s.db.ExecContext(ctx, `INSERT INTO review_shows (id, room, started_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, showID(room, at), room, ms(at))
	case "ended":
		if cur == nil {
			return nil, nil
		}
		var res sql.Result
		res, err = s.db.ExecContext(ctx, `UPDATE review_shows SET ended_at = $1 WHERE id = $2 AND ended_at = 0`, ms(at), cur.ID)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 1 {
				cur.EndedAt = at.UTC().Truncate(time.Millisecond)
				ended = cur
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("review: show state: %w", err)
	}
	return ended, nil
}

// showID is the id of room's show started at at: 16 hex characters.
func showID(room string, at time.Time) string {
	sum := sha256.Sum256([]byte(room + "\x00" + strconv.FormatInt(ms(at), 10)))
	return hex.EncodeToString(sum[:8])
}

// Show returns the show id.
func (s *Store) Show(ctx context.Context, id string) (Show, error) {
	shows, err := s.query(ctx, `WHERE id = $1`, id)
	if err != nil {
		return Show{}, err
	}
	if len(shows) == 0 {
		return Show{}, ErrNoShow
	}
	return shows[0], nil
}

// Shows lists room's shows, newest first (at most 100).
func (s *Store) Shows(ctx context.Context, room string) ([]Show, error) {
	return s.query(ctx, `WHERE room = $1 ORDER BY started_at DESC LIMIT 100`, room)
}

func (s *Store) query(ctx context.Context, where string, args ...any) ([]Show, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, room, started_at, ended_at FROM review_shows `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("review: shows: %w", err)
	}
	defer rows.Close()
	var out []Show
	for rows.Next() {
		var sh Show
		var st, en int64
		if err := rows.Scan(&sh.ID, &sh.Room, &st, &en); err != nil {
			return nil, fmt.Errorf("review: shows: %w", err)
		}
		sh.StartedAt, sh.EndedAt = fromMS(st), fromMS(en)
		out = append(out, sh)
	}
	return out, rows.Err()
}

// next is the start of room's first show after sh (zero if none).
func (s *Store) next(ctx context.Context, sh Show) (time.Time, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(started_at) FROM review_shows WHERE room = $1 AND started_at > $2`, sh.Room, ms(sh.StartedAt)).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("review: next show: %w", err)
	}
	return fromMS(v.Int64), nil
}

// addAudience keeps audience events.
func (s *Store) addAudience(ctx context.Context, evs []events.AudienceEvent) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, ev := range evs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO review_audience (room, kind, viewer, user_id, product_id, n, body, name, message_id, referrer, replay, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				ev.Room, ev.Kind, ev.Viewer, ev.UserID, ev.ProductID, ev.Count, ev.Text, ev.Name, ev.MessageID, ev.Referrer, boolInt(ev.Replay), ms(ev.At)); err != nil {
				return fmt.Errorf("review: audience: %w", err)
			}
		}
		return nil
	})
}

// addCard keeps a product card shown or hidden.
func (s *Store) addCard(ctx context.Context, c events.ProductCard) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO review_cards (room, product_id, shown, title, image, price_minor, live_price_minor, currency, version, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.Room, c.ProductID, boolInt(c.Shown), c.Title, c.Image, c.PriceMinor, c.LivePriceMinor, c.Currency, c.Version, ms(c.At))
	if err != nil {
		return fmt.Errorf("review: card: %w", err)
	}
	return nil
}

// addOrder keeps an order event once per event id.
func (s *Store) addOrder(ctx context.Context, ev events.OrderEvent) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO review_orders (event_id, type, order_id, room, product_id, user_id, quantity, amount_minor, currency, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`,
		ev.ID, ev.Type, ev.OrderID, ev.Room, ev.ProductID, ev.UserID, ev.Quantity, ev.AmountMinor, ev.Currency, ms(ev.At))
	if err != nil {
		return fmt.Errorf("review: order: %w", err)
	}
	return nil
}

// saveReport keeps the final report of a show.
func (s *Store) saveReport(ctx context.Context, id string, report []byte) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE review_shows SET report = $1 WHERE id = $2`, string(report), id); err != nil {
		return fmt.Errorf("review: save report: %w", err)
	}
	return nil
}

// markWebhook records that the show's webhook was delivered.
func (s *Store) markWebhook(ctx context.Context, id string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE review_shows SET webhook_at = $1 WHERE id = $2`, ms(at), id); err != nil {
		return fmt.Errorf("review: webhook: %w", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
