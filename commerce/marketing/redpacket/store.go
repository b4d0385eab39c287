package redpacket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/sqldb"
)

// Store keeps the packets' definitions and settlements in SQL.
type Store struct{ db *sqldb.DB }

const packetCols = `id, room, issuer, rain_id, currency, total_minor, packets, min_minor, mode, seed, opens_ms, ends_ms, status, grabbed, paid_minor, returned_minor, credit, coupon_id`

func (s *Store) insert(ctx context.Context, p Packet, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO redpackets (`+packetCols+`, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, 0, 0, $14, $15, $16)`,
		p.ID, p.Room, p.Issuer, p.RainID, p.Currency, p.TotalMinor, p.Packets, p.MinMinor, p.Mode, p.seed, p.OpensAt.UnixMilli(), p.EndsAt.UnixMilli(), p.Status, p.Credit, p.CouponID, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("redpacket: insert: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanPacket(r scanner) (Packet, error) {
	var p Packet
	var opens, ends int64
	err := r.Scan(&p.ID, &p.Room, &p.Issuer, &p.RainID, &p.Currency, &p.TotalMinor, &p.Packets, &p.MinMinor, &p.Mode, &p.seed, &opens, &ends,
		&p.Status, &p.Grabbed, &p.PaidMinor, &p.ReturnedMinor, &p.Credit, &p.CouponID)
	p.OpensAt, p.EndsAt = time.UnixMilli(opens).UTC(), time.UnixMilli(ends).UTC()
	return p, err
}

// Get returns packet id.
func (s *Store) Get(ctx context.Context, id string) (Packet, error) {
	p, err := scanPacket(s.db.QueryRowContext(ctx, `SELECT `+packetCols+` FROM redpackets WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Packet{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Packet{}, fmt.Errorf("redpacket: get: %w", err)
	}
	return p, nil
}

// Room lists room's packets, newest first (at most limit).
func (s *Store) Room(ctx context.Context, room string, limit int) ([]Packet, error) {
	return s.query(ctx, `SELECT `+packetCols+` FROM redpackets WHERE room = $1 ORDER BY created_ms DESC, id DESC LIMIT $2`, room, limit)
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Packet, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("redpacket: query: %w", err)
	}
	defer rows.Close()
	var out []Packet
	for rows.Next() {
		p, err := scanPacket(rows)
		if err != nil {
			return nil, fmt.Errorf("redpacket: query: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// due lists packets in state whose time (opens for scheduled, ends for
// open) has come.
func (s *Store) due(ctx context.Context, state string, now time.Time) ([]Packet, error) {
	col := "opens_ms"
	if state == Open {
		col = "ends_ms"
	}
	return s.query(ctx, `SELECT `+packetCols+` FROM redpackets WHERE status = $1 AND `+col+` <= $2 ORDER BY `+col+` LIMIT 100`, state, now.UnixMilli())
}

// move changes id from one state to another; false when another node did it first.
func (s *Store) move(ctx context.Context, id, from, to string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE redpackets SET status = $1 WHERE id = $2 AND status = $3`, to, id, from)
	if err != nil {
		return false, fmt.Errorf("redpacket: state: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *Store) settle(ctx context.Context, id string, grabs int, paid, returned int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE redpackets SET status = $1, grabbed = $2, paid_minor = $3, returned_minor = $4 WHERE id = $5`,
		Closed, grabs, paid, returned, id)
	if err != nil {
		return fmt.Errorf("redpacket: settle: %w", err)
	}
	return nil
}

// Totals are a room's red-packet analytics.
type Totals struct {
	Packets       int   `json:"packets"`
	IssuedMinor   int64 `json:"issued_minor"`
	Grabs         int   `json:"grabs"`
	PaidMinor     int64 `json:"paid_minor"`
	ReturnedMinor int64 `json:"returned_minor"`
}

// Totals sums room's closed and running packets.
func (s *Store) Totals(ctx context.Context, room string) (Totals, error) {
	var t Totals
	var issued, paid, ret sql.NullInt64
	var grabs sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), SUM(total_minor), SUM(grabbed), SUM(paid_minor), SUM(returned_minor) FROM redpackets WHERE room = $1`, room).
		Scan(&t.Packets, &issued, &grabs, &paid, &ret)
	if err != nil {
		return t, fmt.Errorf("redpacket: totals: %w", err)
	}
	t.IssuedMinor, t.Grabs, t.PaidMinor, t.ReturnedMinor = issued.Int64, int(grabs.Int64), paid.Int64, ret.Int64
	return t, nil
}
