// Package tags keeps user tags for the shop's marketing: what rooms a user
// watched and which products they clicked (from the interaction layer's
// activity events), and what they ordered and paid for (from order events),
// per user in SQL, queryable per user and exportable as a segment.
package tags

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

// Tag names.
const (
	Watched = events.ActivityWatched
	Clicked = events.ActivityClicked
	Want    = events.ActivityWant
	Ordered = "ordered"
	Paid    = "paid"
)

// Valid reports whether name is a known tag.
func Valid(name string) bool {
	switch name {
	case Watched, Clicked, Want, Ordered, Paid:
		return true
	}
	return false
}

// Tag is one fact about a user.
type Tag struct {
	Tag       string    `json:"tag"`
	Room      string    `json:"room,omitempty"`
	ProductID string    `json:"product_id,omitempty"`
	Hits      int64     `json:"hits"`
	FirstAt   time.Time `json:"first_at"`
	LastAt    time.Time `json:"last_at"`
}

// Store is the SQL store of tags.
type Store struct {
	db *sqldb.DB
}

// NewStore returns a Store over db (migrated by commerce/schema).
func NewStore(db *sqldb.DB) *Store { return &Store{db: db} }

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func add(ctx context.Context, db execer, user, tag, room, product string, at time.Time) error {
	ms := at.UnixMilli()
	_, err := db.ExecContext(ctx, `INSERT INTO commerce_user_tags (user_id, tag, room, product_id, hits, first_at, last_at) VALUES ($1, $2, $3, $4, 1, $5, $6)
		ON CONFLICT (user_id, tag, room, product_id) DO UPDATE SET hits = commerce_user_tags.hits + 1, last_at = excluded.last_at`,
		user, tag, room, product, ms, ms)
	if err != nil {
		return fmt.Errorf("tags: add: %w", err)
	}
	return nil
}

// Add records tag for user (room and product may be empty).
func (s *Store) Add(ctx context.Context, user, tag, room, product string, at time.Time) error {
	return add(ctx, s.db, user, tag, room, product, at)
}

// ApplyOrderEvent folds an order event into tags, once per event id.
func (s *Store) ApplyOrderEvent(ctx context.Context, ev events.OrderEvent) error {
	var tag string
	switch ev.Type {
	case events.OrderCreated:
		tag = Ordered
	case events.OrderPaid:
		tag = Paid
	default:
		return nil
	}
	if ev.ID == "" || ev.UserID == "" {
		return errors.New("tags: order event without id or user")
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO commerce_tag_events (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, ev.ID, time.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("tags: event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // seen before
		}
		return add(ctx, tx, ev.UserID, tag, ev.Room, ev.ProductID, ev.At)
	})
}

// Of returns user's tags, most recent first.
func (s *Store) Of(ctx context.Context, user string) ([]Tag, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tag, room, product_id, hits, first_at, last_at FROM commerce_user_tags WHERE user_id = $1 ORDER BY last_at DESC LIMIT 1000`, user)
	if err != nil {
		return nil, fmt.Errorf("tags: of: %w", err)
	}
	defer rows.Close()
	out := []Tag{}
	for rows.Next() {
		var t Tag
		var first, last int64
		if err := rows.Scan(&t.Tag, &t.Room, &t.ProductID, &t.Hits, &first, &last); err != nil {
			return nil, fmt.Errorf("tags: of: %w", err)
		}
		t.FirstAt, t.LastAt = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// Member is one user of a segment.
type Member struct {
	UserID string
	Hits   int64
	LastAt time.Time
}

// Segment calls fn for each user tagged tag (in room, when room is not
// empty), in user id order.
func (s *Store) Segment(ctx context.Context, tag, room string, fn func(Member) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, SUM(hits), MAX(last_at) FROM commerce_user_tags WHERE tag = $1 AND ($2 = '' OR room = $3) GROUP BY user_id ORDER BY user_id`, tag, room, room)
	if err != nil {
		return fmt.Errorf("tags: segment: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		var last int64
		if err := rows.Scan(&m.UserID, &m.Hits, &last); err != nil {
			return fmt.Errorf("tags: segment: %w", err)
		}
		m.LastAt = time.UnixMilli(last).UTC()
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Count is how many distinct users carry tag in room.
func (s *Store) Count(ctx context.Context, tag, room string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT user_id) FROM commerce_user_tags WHERE tag = $1 AND room = $2`, tag, room).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("tags: count: %w", err)
	}
	return n, nil
}
