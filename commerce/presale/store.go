package presale

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

// Ticket statuses.
const (
	StatusReserved    = "reserved"     // a place is held, the first payment is open
	StatusDepositPaid = "deposit_paid" // the deposit is paid, the balance is due
	StatusPaid        = "paid"         // paid in full: the holder is entitled
	StatusReleased    = "released"     // the place went back on sale (unpaid, or balance not paid in time)
	StatusRefunded    = "refunded"     // paid, then refunded: entitlement revoked
)

// Ticket is one place in a tier.
type Ticket struct {
	ID             string     `json:"id"`
	Room           string     `json:"room"`
	Tier           string     `json:"tier"`
	UserID         string     `json:"user_id"`
	Pay            string     `json:"pay"` // full | deposit
	Status         string     `json:"status"`
	Step           int        `json:"step"`
	PriceMinor     int64      `json:"price_minor"`
	DepositMinor   int64      `json:"deposit_minor,omitempty"`
	BalanceMinor   int64      `json:"balance_minor,omitempty"`
	Currency       string     `json:"currency"`
	OrderID        string     `json:"order_id"`
	BalanceOrderID string     `json:"balance_order_id,omitempty"`
	BalanceDueAt   *time.Time `json:"balance_due_at,omitempty"`
	Referrer       string     `json:"referrer,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	PaidMinor      int64      `json:"paid_minor"`
	RefundedMinor  int64      `json:"refunded_minor,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	// ReferralCode and ShareURL are the holder's share link (filled for the holder).
	ReferralCode string `json:"referral_code,omitempty"`
	ShareURL     string `json:"share_url,omitempty"`
}

const ticketCols = `id, room, tier, user_id, pay, status, step, price_minor, deposit_minor, currency, order_id, balance_order_id, balance_due_at, referrer, reason, paid_minor, refunded_minor, created_at, updated_at, paid_at`

type scanner interface{ Scan(dest ...any) error }

func msTime(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := time.UnixMilli(v).UTC()
	return &t
}

func tms(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMilli()
}

func scanTicket(r scanner) (Ticket, error) {
	var t Ticket
	var due, created, updated, paid int64
	err := r.Scan(&t.ID, &t.Room, &t.Tier, &t.UserID, &t.Pay, &t.Status, &t.Step, &t.PriceMinor, &t.DepositMinor, &t.Currency, &t.OrderID,
		&t.BalanceOrderID, &due, &t.Referrer, &t.Reason, &t.PaidMinor, &t.RefundedMinor, &created, &updated, &paid)
	if err != nil {
		return Ticket{}, err
	}
	t.BalanceDueAt, t.PaidAt = msTime(due), msTime(paid)
	t.CreatedAt, t.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if t.Pay == ModeDeposit {
		t.BalanceMinor = t.PriceMinor - t.DepositMinor
	}
	return t, nil
}

// Store is the presale's SQL: offers, tickets, the whitelist and its
// outbox. Whitelist changes write their event in the same transaction.
type Store struct {
	db *sqldb.DB
	// committed runs after a commit that wrote events (kicks the relay).
	committed func()
}

// ErrNotFound is a missing offer, ticket or entitlement.
var ErrNotFound = errors.New("presale: not found")

// PutOffer stores o (replacing the room's offer).
func (s *Store) PutOffer(ctx context.Context, o Offer, now time.Time) error {
	body, err := o.encode()
	if err != nil {
		return fmt.Errorf("presale: offer: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO presale_offers (room, body, starts_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (room) DO UPDATE SET body = excluded.body, starts_at = excluded.starts_at, updated_at = excluded.updated_at`,
		o.Room, body, o.StartsAt.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("presale: put offer: %w", err)
	}
	return nil
}

// Offer returns room's offer (ErrNotFound if it sells no tickets).
func (s *Store) Offer(ctx context.Context, room string) (Offer, error) {
	return offerFrom(s.db.QueryRowContext(ctx, `SELECT body FROM presale_offers WHERE room = $1`, room), room)
}

func offerFrom(row *sql.Row, room string) (Offer, error) {
	var body string
	if err := row.Scan(&body); errors.Is(err, sql.ErrNoRows) {
		return Offer{}, fmt.Errorf("%w: offer of %s", ErrNotFound, room)
	} else if err != nil {
		return Offer{}, fmt.Errorf("presale: offer: %w", err)
	}
	var o Offer
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		return Offer{}, fmt.Errorf("presale: offer %s: %w", room, err)
	}
	return o, nil
}

// InsertTicket writes a new ticket (inside the caller's transaction tx, or alone).
func (s *Store) InsertTicket(ctx context.Context, t Ticket) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO presale_tickets (`+ticketCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`,
		t.ID, t.Room, t.Tier, t.UserID, t.Pay, t.Status, t.Step, t.PriceMinor, t.DepositMinor, t.Currency, t.OrderID, t.BalanceOrderID,
		tms(t.BalanceDueAt), t.Referrer, t.Reason, t.PaidMinor, t.RefundedMinor, t.CreatedAt.UnixMilli(), t.UpdatedAt.UnixMilli(), tms(t.PaidAt))
	if err != nil {
		return fmt.Errorf("presale: insert ticket: %w", err)
	}
	return nil
}

// Ticket returns ticket id.
func (s *Store) Ticket(ctx context.Context, id string) (Ticket, error) {
	t, err := scanTicket(s.db.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, fmt.Errorf("%w: ticket %s", ErrNotFound, id)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("presale: ticket: %w", err)
	}
	return t, nil
}

// TicketOfOrder returns the ticket order id pays for (first or balance
// order) and whether it is the balance order.
func (s *Store) TicketOfOrder(ctx context.Context, order string) (Ticket, bool, error) {
	return ticketOfOrder(ctx, s.db, order, "")
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func ticketOfOrder(ctx context.Context, q querier, order, lock string) (Ticket, bool, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE order_id = $1 OR balance_order_id = $2`+lock, order, order))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, false, fmt.Errorf("%w: ticket of order %s", ErrNotFound, order)
	}
	if err != nil {
		return Ticket{}, false, fmt.Errorf("presale: ticket of order: %w", err)
	}
	return t, t.BalanceOrderID == order && t.OrderID != order, nil
}

// updateTicket writes t's mutable columns inside tx.
func updateTicket(ctx context.Context, tx *sql.Tx, t *Ticket, now time.Time) error {
	t.UpdatedAt = now.UTC()
	_, err := tx.ExecContext(ctx, `UPDATE presale_tickets SET status = $1, balance_order_id = $2, reason = $3, paid_minor = $4, refunded_minor = $5, updated_at = $6, paid_at = $7 WHERE id = $8`,
		t.Status, t.BalanceOrderID, t.Reason, t.PaidMinor, t.RefundedMinor, now.UnixMilli(), tms(t.PaidAt), t.ID)
	if err != nil {
		return fmt.Errorf("presale: update ticket: %w", err)
	}
	return nil
}

// SetBalanceOrder records order as t's balance order, if t is still
// awaiting its balance and has no open one other than prev.
func (s *Store) SetBalanceOrder(ctx context.Context, id, prev, order string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE presale_tickets SET balance_order_id = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND balance_order_id = $5`,
		order, now.UnixMilli(), id, StatusDepositPaid, prev)
	if err != nil {
		return false, fmt.Errorf("presale: balance order: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UserTickets lists user's tickets, newest first.
func (s *Store) UserTickets(ctx context.Context, user string) ([]Ticket, error) {
	return s.tickets(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200`, user)
}

// RoomTickets lists room's tickets in the given statuses (none: all).
func (s *Store) RoomTickets(ctx context.Context, room string, statuses ...string) ([]Ticket, error) {
	out, err := s.tickets(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE room = $1 ORDER BY created_at, id`, room)
	if err != nil || len(statuses) == 0 {
		return out, err
	}
	kept := out[:0]
	for _, t := range out {
		for _, st := range statuses {
			if t.Status == st {
				kept = append(kept, t)
				break
			}
		}
	}
	return kept, nil
}

func (s *Store) tickets(ctx context.Context, q string, args ...any) ([]Ticket, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("presale: tickets: %w", err)
	}
	defer rows.Close()
	out := []Ticket{}
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("presale: tickets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Entitlement is one line of a show's whitelist.
type Entitlement struct {
	Room         string     `json:"room"`
	UserID       string     `json:"user_id"`
	Tier         string     `json:"tier"`
	Source       string     `json:"source"`
	TicketID     string     `json:"ticket_id,omitempty"`
	GrantedAt    time.Time  `json:"granted_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
}

// grant entitles (room, user, tier) inside tx and writes its event; it
// reports false when the line was already in force (no event).
func grant(ctx context.Context, tx *sql.Tx, e Entitlement, orderID string, now time.Time) (bool, error) {
	var revoked int64
	err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM presale_entitlements WHERE room = $1 AND user_id = $2 AND tier = $3`, e.Room, e.UserID, e.Tier).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO presale_entitlements (room, user_id, tier, source, ticket_id, granted_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			e.Room, e.UserID, e.Tier, e.Source, e.TicketID, now.UnixMilli())
	case err != nil:
	case revoked == 0:
		return false, nil
	default:
		_, err = tx.ExecContext(ctx, `UPDATE presale_entitlements SET source = $1, ticket_id = $2, granted_at = $3, revoked_at = 0, revoke_reason = '' WHERE room = $4 AND user_id = $5 AND tier = $6`,
			e.Source, e.TicketID, now.UnixMilli(), e.Room, e.UserID, e.Tier)
	}
	if err != nil {
		return false, fmt.Errorf("presale: grant: %w", err)
	}
	return true, addEvent(ctx, tx, events.EntitlementEvent{Type: events.EntitlementGranted, Room: e.Room, UserID: e.UserID, Tier: e.Tier, Source: e.Source, OrderID: orderID, At: now})
}

// revoke ends (room, user, tier) inside tx (every tier when tier is "")
// with reason, writing one event per line ended; it returns how many.
func revoke(ctx context.Context, tx *sql.Tx, room, user, tier, reason, orderID string, now time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT tier FROM presale_entitlements WHERE room = $1 AND user_id = $2 AND ($3 = '' OR tier = $4) AND revoked_at = 0`, room, user, tier, tier)
	if err != nil {
		return 0, fmt.Errorf("presale: revoke: %w", err)
	}
	var tiers []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, fmt.Errorf("presale: revoke: %w", err)
		}
		tiers = append(tiers, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("presale: revoke: %w", err)
	}
	for _, t := range tiers {
		if _, err := tx.ExecContext(ctx, `UPDATE presale_entitlements SET revoked_at = $1, revoke_reason = $2 WHERE room = $3 AND user_id = $4 AND tier = $5`,
			now.UnixMilli(), reason, room, user, t); err != nil {
			return 0, fmt.Errorf("presale: revoke: %w", err)
		}
		if err := addEvent(ctx, tx, events.EntitlementEvent{Type: events.EntitlementRevoked, Room: room, UserID: user, Tier: t, Source: reason, OrderID: orderID, At: now}); err != nil {
			return 0, err
		}
	}
	return len(tiers), nil
}

// Grant entitles e (operator, guest list, the shop's backend) in its own
// transaction; false: it was already in force.
func (s *Store) Grant(ctx context.Context, e Entitlement, now time.Time) (bool, error) {
	var fresh bool
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		fresh, err = grant(ctx, tx, e, "", now)
		return err
	})
	if err == nil && fresh {
		s.committed()
	}
	return fresh, err
}

// Revoke ends user's entitlements to room (tier "" = all); ErrNotFound if none was in force.
func (s *Store) Revoke(ctx context.Context, room, user, tier, reason string, now time.Time) error {
	var n int
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = revoke(ctx, tx, room, user, tier, reason, "", now)
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: entitlement of %s", ErrNotFound, user)
	}
	s.committed()
	return nil
}

// Entitlements lists room's whitelist (revoked lines too), oldest first.
func (s *Store) Entitlements(ctx context.Context, room string, limit int) ([]Entitlement, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT room, user_id, tier, source, ticket_id, granted_at, revoked_at, revoke_reason FROM presale_entitlements
		WHERE room = $1 ORDER BY granted_at, user_id LIMIT $2`, room, limit)
	if err != nil {
		return nil, fmt.Errorf("presale: entitlements: %w", err)
	}
	defer rows.Close()
	out := []Entitlement{}
	for rows.Next() {
		var e Entitlement
		var granted, revoked int64
		if err := rows.Scan(&e.Room, &e.UserID, &e.Tier, &e.Source, &e.TicketID, &granted, &revoked, &e.RevokeReason); err != nil {
			return nil, fmt.Errorf("presale: entitlements: %w", err)
		}
		e.GrantedAt, e.RevokedAt = time.UnixMilli(granted).UTC(), msTime(revoked)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ActiveTiers returns the tiers user is entitled to in room.
func (s *Store) ActiveTiers(ctx context.Context, room, user string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tier FROM presale_entitlements WHERE room = $1 AND user_id = $2 AND revoked_at = 0`, room, user)
	if err != nil {
		return nil, fmt.Errorf("presale: pass: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("presale: pass: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
