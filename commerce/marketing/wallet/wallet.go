// Package wallet is the per-user wallet of live marketing: a balance per
// currency (and "points") kept in SQL with a ledger of every movement.
// Every movement names its cause (kind, ref) and is applied at most once:
// a red-packet grab, a draw prize, a top-up order or a gift sent from the
// wallet is credited or debited once however often it is retried.
package wallet

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the wallet migrations (component "marketing-wallet").
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "marketing-wallet", "wallet schema")
}

// Points is the currency of loyalty points.
const Points = "points"

// Movement kinds.
const (
	KindRedPacket       = "redpacket"        // a red-packet grab (ref: packet:user)
	KindRedPacketRefund = "redpacket_refund" // an expired packet's remainder, to its issuer (ref: packet)
	KindDrawPrize       = "draw_prize"       // draw points (ref: draw:user)
	KindTopUp           = "topup"            // a paid top-up order (ref: order)
	KindGift            = "gift"             // a gift sent from the wallet (ref: gift id)
)

// Sentinel errors.
var (
	ErrInsufficient = errors.New("wallet: balance too low")
	ErrInvalid      = errors.New("wallet: invalid movement")
)

// Entry is one ledger line.
type Entry struct {
	ID          string    `json:"id"`
	UserID      string    `json:"user_id"`
	Currency    string    `json:"currency"`
	AmountMinor int64     `json:"amount_minor"`
	Kind        string    `json:"kind"`
	Ref         string    `json:"ref"`
	At          time.Time `json:"at"`
}

// Store is the wallet store.
type Store struct {
	db  *sqldb.DB
	now func() time.Time
}

// NewStore returns the wallet on db (migrated with Migrate).
func NewStore(db *sqldb.DB) *Store { return &Store{db: db, now: time.Now} }

// Move applies amount (positive: credit, negative: debit) to user's
// balance in currency, once per (kind, ref): it answers applied false when
// that movement was applied before. A debit beyond the balance is
// ErrInsufficient and changes nothing.
func (s *Store) Move(ctx context.Context, user, currency string, amount int64, kind, ref string) (applied bool, err error) {
	if user == "" || currency == "" || kind == "" || ref == "" || amount == 0 {
		return false, fmt.Errorf("%w: user, currency, kind, ref and a non-zero amount are required", ErrInvalid)
	}
	if amount > 0 && s.db.Dialect == sqldb.Postgres {
		return s.credit(ctx, user, currency, amount, kind, ref)
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		applied = false
		res, err := tx.ExecContext(ctx, `INSERT INTO wallet_entries (id, user_id, currency, amount_minor, kind, ref, at_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, ref) DO NOTHING`,
			ids.New("wal_"), user, currency, amount, kind, ref, s.now().UnixMilli())
		if err != nil {
			return fmt.Errorf("wallet: ledger: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // applied before
		}
		if amount > 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO wallet_balances (user_id, currency, balance_minor) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, currency) DO UPDATE SET balance_minor = wallet_balances.balance_minor + excluded.balance_minor`, user, currency, amount)
			if err != nil {
				return fmt.Errorf("wallet: credit: %w", err)
			}
			applied = true
			return nil
		}
		// The guarded UPDATE is the lock: two debits of one wallet queue
		// on its row, and the second sees the first's balance.
		res, err = tx.ExecContext(ctx, `UPDATE wallet_balances SET balance_minor = balance_minor + $1
			WHERE user_id = $2 AND currency = $3 AND balance_minor + $1 >= 0`, amount, user, currency)
		if err != nil {
			return fmt.Errorf("wallet: debit: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrInsufficient
		}
		applied = true
		return nil
	})
	return applied, err
}

// credit is Move's credit on PostgreSQL in one statement (one round trip,
// atomic): the ledger row, and the balance only when the row is new.
func (s *Store) credit(ctx context.Context, user, currency string, amount int64, kind, ref string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `WITH e AS (
			INSERT INTO wallet_entries (id, user_id, currency, amount_minor, kind, ref, at_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (kind, ref) DO NOTHING RETURNING amount_minor)
		INSERT INTO wallet_balances (user_id, currency, balance_minor) SELECT $2, $3, amount_minor FROM e
		ON CONFLICT (user_id, currency) DO UPDATE SET balance_minor = wallet_balances.balance_minor + excluded.balance_minor`,
		ids.New("wal_"), user, currency, amount, kind, ref, s.now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("wallet: credit: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Balance is user's balance in currency.
func (s *Store) Balance(ctx context.Context, user, currency string) (int64, error) {
	var b int64
	err := s.db.QueryRowContext(ctx, `SELECT balance_minor FROM wallet_balances WHERE user_id = $1 AND currency = $2`, user, currency).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wallet: balance: %w", err)
	}
	return b, nil
}

// Balances are all of user's balances, by currency.
func (s *Store) Balances(ctx context.Context, user string) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT currency, balance_minor FROM wallet_balances WHERE user_id = $1`, user)
	if err != nil {
		return nil, fmt.Errorf("wallet: balances: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var c string
		var b int64
		if err := rows.Scan(&c, &b); err != nil {
			return nil, fmt.Errorf("wallet: balances: %w", err)
		}
		out[c] = b
	}
	return out, rows.Err()
}

// Ledger is user's newest movements (at most limit).
func (s *Store) Ledger(ctx context.Context, user string, limit int) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, currency, amount_minor, kind, ref, at_ms FROM wallet_entries
		WHERE user_id = $1 ORDER BY at_ms DESC, id DESC LIMIT $2`, user, limit)
	if err != nil {
		return nil, fmt.Errorf("wallet: ledger: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var ms int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.Currency, &e.AmountMinor, &e.Kind, &e.Ref, &ms); err != nil {
			return nil, fmt.Errorf("wallet: ledger: %w", err)
		}
		e.At = time.UnixMilli(ms).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Sum is the total of every movement of kind (any user) in currency whose
// ref starts with prefix: e.g. what one red packet paid out.
func (s *Store) Sum(ctx context.Context, kind, refPrefix, currency string) (int64, error) {
	var n sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT SUM(amount_minor) FROM wallet_entries WHERE kind = $1 AND currency = $2 AND substr(ref, 1, $3) = $4`,
		kind, currency, len(refPrefix), refPrefix).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("wallet: sum: %w", err)
	}
	return n.Int64, nil
}
