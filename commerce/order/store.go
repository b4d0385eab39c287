package order

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/outbox"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/internal/sqldb"
)

// Store is the SQL store of orders, payments and provider transactions. It
// owns every transaction: domain rules run in closures (UpdateOrder) and
// never see the *sql.Tx. Every state change writes its outbox event in the
// same transaction.
type Store struct {
	db *sqldb.DB
	// committed is called after a commit that added outbox events.
	committed func()
}

// NewStore returns a Store over db; committed (optional) runs after each
// commit that wrote events (to kick the outbox relay).
func NewStore(db *sqldb.DB, committed func()) *Store {
	if committed == nil {
		committed = func() {}
	}
	return &Store{db: db, committed: committed}
}

const orderCols = `id, user_id, idem_key, request_hash, room, product_id, product_title, quantity, unit_price_minor, amount_minor, currency, status, provider, provider_txn, created_at, updated_at, expires_at, paid_at, cart_lines, discount_minor`

type scanner interface{ Scan(dest ...any) error }

func scanOrder(row scanner) (Order, error) {
	var o Order
	var created, updated, expires, paid int64
	var lines string
	err := row.Scan(&o.ID, &o.UserID, &o.idemKey, &o.requestHash, &o.Room, &o.ProductID, &o.ProductTitle, &o.Quantity,
		&o.UnitPriceMinor, &o.AmountMinor, &o.Currency, &o.Status, &o.Provider, &o.providerTxn, &created, &updated, &expires, &paid, &lines, &o.DiscountMinor)
	if err != nil {
		return Order{}, err
	}
	if lines != "" {
		if err := json.Unmarshal([]byte(lines), &o.Lines); err != nil {
			return Order{}, fmt.Errorf("order %s: lines: %w", o.ID, err)
		}
	}
	o.CreatedAt, o.UpdatedAt, o.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), time.UnixMilli(expires).UTC()
	if paid > 0 {
		t := time.UnixMilli(paid).UTC()
		o.PaidAt = &t
	}
	return o, nil
}

func paidMs(o *Order) int64 {
	if o.PaidAt == nil {
		return 0
	}
	return o.PaidAt.UnixMilli()
}

// Insert writes a new PENDING order and its created event. A clash on the
// id or the (user, idempotency key) pair is reported with
// sqldb.IsUniqueViolation.
func (s *Store) Insert(ctx context.Context, o Order) error {
	lines := ""
	if len(o.Lines) > 0 {
		raw, err := json.Marshal(o.Lines)
		if err != nil {
			return fmt.Errorf("order: insert: %w", err)
		}
		lines = string(raw)
	}
	args := []any{o.ID, o.UserID, o.idemKey, o.requestHash, o.Room, o.ProductID, o.ProductTitle, o.Quantity, o.UnitPriceMinor, o.AmountMinor, o.Currency,
		o.Status, o.Provider, o.providerTxn, o.CreatedAt.UnixMilli(), o.UpdatedAt.UnixMilli(), o.ExpiresAt.UnixMilli(), paidMs(&o), lines, o.DiscountMinor}
	const insertOrder = `INSERT INTO commerce_orders (` + orderCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`
	var err error
	if s.db.Dialect == sqldb.Postgres && len(o.Lines) == 0 && len(o.Discounts) == 0 {
		// One statement (an implicit transaction, one round trip): the
		// order and its event are written together or not at all.
		var row outbox.Row
		if row, err = outbox.NewRow(o.Event(eventType(o.Status))); err != nil {
			return err
		}
		_, err = s.db.ExecContext(ctx, `WITH o AS (`+insertOrder+` RETURNING id)
			INSERT INTO commerce_outbox (`+outbox.Columns+`) SELECT $21, $22, $23, $24 FROM o`, append(args, row.Args()...)...)
		if err != nil {
			err = fmt.Errorf("order: insert: %w", err)
		}
	} else {
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, insertOrder, args...); err != nil {
				return fmt.Errorf("order: insert: %w", err)
			}
			for _, p := range o.products() {
				if _, err := tx.ExecContext(ctx, `INSERT INTO commerce_order_products (order_id, product_id) VALUES ($1, $2)`, o.ID, p); err != nil {
					return fmt.Errorf("order: insert: %w", err)
				}
			}
			if err := insertDiscounts(ctx, tx, &o); err != nil {
				return err
			}
			_, err := outbox.Add(ctx, tx, o.Event(eventType(o.Status)))
			return err
		})
	}
	if err == nil {
		s.committed()
	}
	return err
}

// Get returns order id.
func (s *Store) Get(ctx context.Context, id string) (Order, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderCols+` FROM commerce_orders WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Order{}, fmt.Errorf("order: get: %w", err)
	}
	return o, nil
}

// UpdateOrder locks order id, runs fn on it and stores the result; when the
// status changed (along a legal transition) its event goes to the outbox in
// the same transaction. fn's error rolls everything back.
func (s *Store) UpdateOrder(ctx context.Context, id string, fn func(*Order) error) (Order, error) {
	return s.update(ctx, id, nil, fn)
}

// Txn is one provider transaction, recorded once per (Provider, TransactionID).
type Txn struct {
	Provider      string
	TransactionID string
	PaymentID     string
	AmountMinor   int64
	Currency      string
	// Outcome is set by the domain closure: paid, paid_late, refunded_late, duplicate_refund.
	Outcome string
}

// ApplyTxn locks order id, fails with ErrDuplicate if txn was applied
// before, runs fn (which sets txn.Outcome and may change the order) and
// records txn, all in one transaction.
func (s *Store) ApplyTxn(ctx context.Context, id string, txn *Txn, fn func(*Order) error) (Order, error) {
	return s.update(ctx, id, txn, fn)
}

func (s *Store) update(ctx context.Context, id string, txn *Txn, fn func(*Order) error) (Order, error) {
	var out Order
	wrote := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderCols+` FROM commerce_orders WHERE id = $1`+s.db.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("order: lock: %w", err)
		}
		if txn != nil {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM commerce_payment_txns WHERE provider = $1 AND transaction_id = $2`, txn.Provider, txn.TransactionID).Scan(&one)
			if err == nil {
				return ErrDuplicate
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("order: txn lookup: %w", err)
			}
		}
		before := o
		if err := fn(&o); err != nil {
			return err
		}
		o.ID = before.ID
		if o.Status != before.Status && !CanMove(before.Status, o.Status) {
			return fmt.Errorf("%w: %s → %s", ErrBadState, before.Status, o.Status)
		}
		o.UpdatedAt = time.Now().UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, `UPDATE commerce_orders SET status = $1, provider = $2, provider_txn = $3, updated_at = $4, paid_at = $5 WHERE id = $6`,
			o.Status, o.Provider, o.providerTxn, o.UpdatedAt.UnixMilli(), paidMs(&o), o.ID); err != nil {
			return fmt.Errorf("order: update: %w", err)
		}
		if txn != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO commerce_payment_txns (provider, transaction_id, order_id, payment_id, outcome, amount_minor, currency, received_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, txn.Provider, txn.TransactionID, o.ID, txn.PaymentID, txn.Outcome, txn.AmountMinor, txn.Currency, time.Now().UnixMilli()); err != nil {
				if sqldb.IsUniqueViolation(err) {
					return ErrDuplicate
				}
				return fmt.Errorf("order: record txn: %w", err)
			}
		}
		if o.Status != before.Status {
			if typ := eventType(o.Status); typ != "" {
				if _, err := outbox.Add(ctx, tx, o.Event(typ)); err != nil {
					return err
				}
				wrote = true
			}
		}
		out = o
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	if wrote {
		s.committed()
	}
	return out, nil
}

// ClaimExpired moves up to limit PENDING orders due at now to EXPIRED (with
// their events) and returns them. Rows locked by another node are skipped,
// so several sweepers share the work without doing any of it twice.
func (s *Store) ClaimExpired(ctx context.Context, now time.Time, limit int) ([]Order, error) {
	var claimed []Order
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+orderCols+` FROM commerce_orders WHERE status = $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3`+s.db.SkipLocked(),
			Pending, now.UnixMilli(), limit)
		if err != nil {
			return fmt.Errorf("order: claim expired: %w", err)
		}
		var due []Order
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("order: claim expired: %w", err)
			}
			due = append(due, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("order: claim expired: %w", err)
		}
		for _, o := range due {
			res, err := tx.ExecContext(ctx, `UPDATE commerce_orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`, Expired, now.UnixMilli(), o.ID, Pending)
			if err != nil {
				return fmt.Errorf("order: expire: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue
			}
			o.Status = Expired
			if _, err := outbox.Add(ctx, tx, o.Event(eventType(Expired))); err != nil {
				return err
			}
			claimed = append(claimed, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(claimed) > 0 {
		s.committed()
	}
	return claimed, nil
}

// Filter selects orders for List.
type Filter struct {
	Room   string
	Status Status
	User   string
	Limit  int
	Cursor string
}

// EncodeCursor makes the opaque cursor that follows o in a listing.
func EncodeCursor(o Order) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(o.CreatedAt.UnixMilli(), 10) + ":" + o.ID))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(c string) (ms int64, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) > 200 {
		return 0, "", fmt.Errorf("%w: bad cursor", ErrInvalid)
	}
	a, b, ok := strings.Cut(string(raw), ":")
	ms, perr := strconv.ParseInt(a, 10, 64)
	if !ok || perr != nil || b == "" {
		return 0, "", fmt.Errorf("%w: bad cursor", ErrInvalid)
	}
	return ms, b, nil
}

// List returns orders matching f, newest first, and the cursor of the next page ("" at the end).
func (s *Store) List(ctx context.Context, f Filter) ([]Order, string, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	ms, id := int64(1<<62), ""
	if f.Cursor != "" {
		var err error
		if ms, id, err = DecodeCursor(f.Cursor); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+orderCols+` FROM commerce_orders
		WHERE ($1 = '' OR room = $2) AND ($3 = '' OR status = $4) AND ($5 = '' OR user_id = $6)
		AND (created_at < $7 OR (created_at = $8 AND id < $9))
		ORDER BY created_at DESC, id DESC LIMIT $10`,
		f.Room, f.Room, string(f.Status), string(f.Status), f.User, f.User, ms, ms, id, f.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("order: list: %w", err)
	}
	defer rows.Close()
	out := []Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, "", fmt.Errorf("order: list: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("order: list: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = EncodeCursor(out[len(out)-1])
	}
	return out, next, nil
}

// Holding lists the orders of product that hold stock, for rebuilding Redis.
func (s *Store) Holding(ctx context.Context, product string) ([]Order, error) {
	return s.query(ctx, `SELECT `+orderCols+` FROM commerce_orders WHERE status IN ($2, $3, $4, $5)
		AND (product_id = $1 OR id IN (SELECT order_id FROM commerce_order_products WHERE product_id = $1))`,
		product, Pending, Paid, Shipped, Completed)
}

// PendingOrders lists up to limit PENDING orders created before t.
func (s *Store) PendingOrders(ctx context.Context, before time.Time, limit int) ([]Order, error) {
	return s.query(ctx, `SELECT `+orderCols+` FROM commerce_orders WHERE status = $1 AND created_at < $2 ORDER BY created_at LIMIT $3`, Pending, before.UnixMilli(), limit)
}

// Statuses returns the status of each existing order among ids.
func (s *Store) Statuses(ctx context.Context, ids []string) (map[string]Status, error) {
	out := make(map[string]Status, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var q strings.Builder
		q.WriteString(`SELECT id, status FROM commerce_orders WHERE id IN (`)
		args := make([]any, len(chunk))
		for i, id := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("$" + strconv.Itoa(i+1))
			args[i] = id
		}
		q.WriteByte(')')
		rows, err := s.db.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("order: statuses: %w", err)
		}
		for rows.Next() {
			var id string
			var st Status
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("order: statuses: %w", err)
			}
			out[id] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("order: statuses: %w", err)
		}
	}
	return out, nil
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Order, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("order: query: %w", err)
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("order: query: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// InsertPayment records a payment attempt.
func (s *Store) InsertPayment(ctx context.Context, p Payment) error {
	co, err := json.Marshal(p.checkout)
	if err != nil {
		return fmt.Errorf("order: insert payment: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO commerce_payments (id, order_id, provider, amount_minor, currency, provider_ref, created_at, checkout) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, p.OrderID, p.Provider, p.AmountMinor, p.Currency, p.ProviderRef, p.CreatedAt.UnixMilli(), string(co))
	if err != nil {
		return fmt.Errorf("order: insert payment: %w", err)
	}
	return nil
}

// OpenCheckout returns the checkout of order's latest attempt with
// provider, if one was recorded.
func (s *Store) OpenCheckout(ctx context.Context, order, provider string) (payment.Checkout, bool, error) {
	var raw, ref string
	err := s.db.QueryRowContext(ctx, `SELECT checkout, provider_ref FROM commerce_payments WHERE order_id = $1 AND provider = $2 AND checkout <> '' ORDER BY created_at DESC, id DESC LIMIT 1`,
		order, provider).Scan(&raw, &ref)
	if errors.Is(err, sql.ErrNoRows) {
		return payment.Checkout{}, false, nil
	}
	if err != nil {
		return payment.Checkout{}, false, fmt.Errorf("order: open checkout: %w", err)
	}
	var co payment.Checkout
	if err := json.Unmarshal([]byte(raw), &co); err != nil || co.PaymentID == "" {
		return payment.Checkout{}, false, nil
	}
	co.ProviderRef = ref
	return co, true, nil
}

// PaymentCount counts order's payment attempts.
func (s *Store) PaymentCount(ctx context.Context, order string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM commerce_payments WHERE order_id = $1`, order).Scan(&n)
	return n, err
}

// GetPayment returns payment id.
func (s *Store) GetPayment(ctx context.Context, id string) (Payment, error) {
	var p Payment
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, order_id, provider, amount_minor, currency, provider_ref, created_at FROM commerce_payments WHERE id = $1`, id).
		Scan(&p.ID, &p.OrderID, &p.Provider, &p.AmountMinor, &p.Currency, &p.ProviderRef, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Payment{}, fmt.Errorf("%w: %s", ErrUnknownPayment, id)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("order: get payment: %w", err)
	}
	p.CreatedAt = time.UnixMilli(created)
	return p, nil
}

// TxnCount counts the provider transactions recorded for order id.
func (s *Store) TxnCount(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM commerce_payment_txns WHERE order_id = $1`, id).Scan(&n)
	return n, err
}

// RoomStats aggregates room's orders.
type RoomStats struct {
	Room         string `json:"room"`
	Orders       int64  `json:"orders"`
	PaidOrders   int64  `json:"paid_orders"`
	Buyers       int64  `json:"buyers"`
	PaidBuyers   int64  `json:"paid_buyers"`
	RevenueMinor int64  `json:"revenue_minor"`
	Currency     string `json:"currency,omitempty"`
}

// Stats aggregates room's orders (revenue counts PAID, SHIPPED and COMPLETED).
func (s *Store) Stats(ctx context.Context, room string) (RoomStats, error) {
	st := RoomStats{Room: room}
	err := s.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT user_id) FROM commerce_orders WHERE room = $1`, room).Scan(&st.Orders, &st.Buyers)
	if err != nil {
		return st, fmt.Errorf("order: stats: %w", err)
	}
	var currency sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT user_id), COALESCE(SUM(amount_minor), 0), MIN(currency) FROM commerce_orders WHERE room = $1 AND status IN ($2, $3, $4)`,
		room, Paid, Shipped, Completed).Scan(&st.PaidOrders, &st.PaidBuyers, &st.RevenueMinor, &currency)
	if err != nil {
		return st, fmt.Errorf("order: stats: %w", err)
	}
	st.Currency = currency.String
	return st, nil
}
