package gift

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/internal/sqldb"
)

// Store keeps the catalogue, the ledger and the rules in SQL.
type Store struct{ db *sqldb.DB }

// Put creates or replaces a catalogue gift.
func (s *Store) Put(ctx context.Context, g Gift) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO gift_catalogue (id, name, icon, price_minor, currency, tier, active) VALUES ($1, $2, $3, $4, $5, $6, 1)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, icon = excluded.icon, price_minor = excluded.price_minor,
		currency = excluded.currency, tier = excluded.tier, active = 1`, g.ID, g.Name, g.Icon, g.PriceMinor, g.Currency, g.Tier)
	if err != nil {
		return fmt.Errorf("gift: put: %w", err)
	}
	return nil
}

// Get returns catalogue gift id (active or not).
func (s *Store) Get(ctx context.Context, id string) (Gift, error) {
	var g Gift
	err := s.db.QueryRowContext(ctx, `SELECT id, name, icon, price_minor, currency, tier FROM gift_catalogue WHERE id = $1`, id).
		Scan(&g.ID, &g.Name, &g.Icon, &g.PriceMinor, &g.Currency, &g.Tier)
	if errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return g, fmt.Errorf("gift: get: %w", err)
	}
	return g, nil
}

// Catalogue lists the active gifts by price.
func (s *Store) Catalogue(ctx context.Context) ([]Gift, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, icon, price_minor, currency, tier FROM gift_catalogue WHERE active = 1 ORDER BY price_minor, id`)
	if err != nil {
		return nil, fmt.Errorf("gift: catalogue: %w", err)
	}
	defer rows.Close()
	out := []Gift{}
	for rows.Next() {
		var g Gift
		if err := rows.Scan(&g.ID, &g.Name, &g.Icon, &g.PriceMinor, &g.Currency, &g.Tier); err != nil {
			return nil, fmt.Errorf("gift: catalogue: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// record writes sent once per ref; inserted false when ref was recorded before.
func (s *Store) record(ctx context.Context, x Sent, ref string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO gifts_sent (id, room, sender, sender_name, gift_id, count, amount_minor, currency, via, ref, at_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (ref) DO NOTHING`,
		x.ID, x.Room, x.Sender, x.SenderName, x.GiftID, x.Count, x.AmountMinor, x.Currency, x.Via, ref, x.At.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("gift: record: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Ledger is room's income ledger since (newest first, at most limit) and
// its total per currency.
func (s *Store) Ledger(ctx context.Context, room string, since time.Time, limit int) ([]Sent, map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, room, sender, sender_name, gift_id, count, amount_minor, currency, via, at_ms FROM gifts_sent
		WHERE room = $1 AND at_ms >= $2 ORDER BY at_ms DESC, id DESC LIMIT $3`, room, since.UnixMilli(), limit)
	if err != nil {
		return nil, nil, fmt.Errorf("gift: ledger: %w", err)
	}
	defer rows.Close()
	out := []Sent{}
	for rows.Next() {
		var x Sent
		var ms int64
		if err := rows.Scan(&x.ID, &x.Room, &x.Sender, &x.SenderName, &x.GiftID, &x.Count, &x.AmountMinor, &x.Currency, &x.Via, &ms); err != nil {
			return nil, nil, fmt.Errorf("gift: ledger: %w", err)
		}
		x.At = time.UnixMilli(ms).UTC()
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	totals, err := s.sums(ctx, `SELECT currency, SUM(amount_minor) FROM gifts_sent WHERE room = $1 AND at_ms >= $2 GROUP BY currency`, room, since.UnixMilli())
	return out, totals, err
}

func (s *Store) sums(ctx context.Context, q string, args ...any) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("gift: totals: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var c string
		var n int64
		if err := rows.Scan(&c, &n); err != nil {
			return nil, fmt.Errorf("gift: totals: %w", err)
		}
		out[c] = n
	}
	return out, rows.Err()
}

// Rank is one leaderboard line.
type Rank struct {
	SenderName  string `json:"sender_name"`
	Gifts       int    `json:"gifts"`
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	sender      string
}

// Leaderboard ranks room's senders since by amount (at most limit).
func (s *Store) Leaderboard(ctx context.Context, room string, since time.Time, limit int) ([]Rank, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sender, MAX(sender_name), SUM(count), SUM(amount_minor), currency FROM gifts_sent
		WHERE room = $1 AND at_ms >= $2 GROUP BY sender, currency ORDER BY SUM(amount_minor) DESC, sender LIMIT $3`, room, since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("gift: leaderboard: %w", err)
	}
	defer rows.Close()
	out := []Rank{}
	for rows.Next() {
		var r Rank
		if err := rows.Scan(&r.sender, &r.SenderName, &r.Gifts, &r.AmountMinor, &r.Currency); err != nil {
			return nil, fmt.Errorf("gift: leaderboard: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// senderTotal is what user gave in room in currency.
func (s *Store) senderTotal(ctx context.Context, room, user, currency string) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT SUM(amount_minor) FROM gifts_sent WHERE room = $1 AND sender = $2 AND currency = $3`, room, user, currency).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("gift: total: %w", err)
	}
	return n.Int64, nil
}

// AddRule adds a tipping rule to its room.
func (s *Store) AddRule(ctx context.Context, r Rule) (Rule, error) {
	if err := r.Check(); err != nil {
		return r, err
	}
	r.ID = ids.New("grl_")
	_, err := s.db.ExecContext(ctx, `INSERT INTO gift_rules (id, room, threshold_minor, currency, reward, points, label, coupon_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.Room, r.ThresholdMinor, r.Currency, r.Reward, r.Points, r.Label, r.CouponID)
	if err != nil {
		return r, fmt.Errorf("gift: rule: %w", err)
	}
	return r, nil
}

// Rules lists room's tipping rules by threshold.
func (s *Store) Rules(ctx context.Context, room string) ([]Rule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, room, threshold_minor, currency, reward, points, label, coupon_id FROM gift_rules WHERE room = $1 ORDER BY threshold_minor, id`, room)
	if err != nil {
		return nil, fmt.Errorf("gift: rules: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.ID, &r.Room, &r.ThresholdMinor, &r.Currency, &r.Reward, &r.Points, &r.Label, &r.CouponID); err != nil {
			return nil, fmt.Errorf("gift: rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// unlock records that user reached rule; false when it had before.
func (s *Store) unlock(ctx context.Context, r Rule, user string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO gift_unlocks (rule_id, user_id, room, at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (rule_id, user_id) DO NOTHING`,
		r.ID, user, r.Room, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("gift: unlock: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Unlocks lists the rules user unlocked in room.
func (s *Store) Unlocks(ctx context.Context, room, user string) ([]Rule, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.room, r.threshold_minor, r.currency, r.reward, r.points, r.label, r.coupon_id FROM gift_unlocks u
		JOIN gift_rules r ON r.id = u.rule_id WHERE u.room = $1 AND u.user_id = $2 ORDER BY r.threshold_minor`, room, user)
	if err != nil {
		return nil, fmt.Errorf("gift: unlocks: %w", err)
	}
	defer rows.Close()
	out := []Rule{}
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.ID, &r.Room, &r.ThresholdMinor, &r.Currency, &r.Reward, &r.Points, &r.Label, &r.CouponID); err != nil {
			return nil, fmt.Errorf("gift: unlocks: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) orderName(ctx context.Context, orderID, name string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO gift_orders (order_id, sender_name) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`, orderID, name)
	if err != nil {
		return fmt.Errorf("gift: order: %w", err)
	}
	return nil
}

func (s *Store) nameOf(ctx context.Context, orderID string) string {
	var n string
	s.db.QueryRowContext(ctx, `SELECT sender_name FROM gift_orders WHERE order_id = $1`, orderID).Scan(&n)
	return n
}
