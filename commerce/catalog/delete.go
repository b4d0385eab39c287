package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrInUse means a product cannot be deleted: a room presents it or an
// order names it; the wrapped message says which.
var ErrInUse = errors.New("catalog: product in use")

// Delete removes product id with its variants and room bindings. It refuses
// with ErrInUse while a room presents the product or while any order (of any
// status) names it, so no order loses the product its history points to,
// and ErrNotFound when there is no such product.
func (s *Store) Delete(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM commerce_products WHERE id = $1`+s.db.ForUpdate(), id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: product %s", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("catalog: delete: %w", err)
		}
		var room string
		err = tx.QueryRowContext(ctx, `SELECT room FROM commerce_presenting WHERE product_id = $1 ORDER BY room LIMIT 1`, id).Scan(&room)
		if err == nil {
			return fmt.Errorf("%w: room %s is presenting product %s; stop presenting it first", ErrInUse, room, id)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("catalog: delete: %w", err)
		}
		var orders int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM commerce_orders WHERE product_id = $1) + (SELECT count(*) FROM commerce_order_products WHERE product_id = $1)`, id).Scan(&orders); err != nil {
			return fmt.Errorf("catalog: delete: %w", err)
		}
		if orders > 0 {
			return fmt.Errorf("%w: product %s has orders; a product with orders is kept for their history", ErrInUse, id)
		}
		for _, q := range []string{
			`DELETE FROM commerce_room_products WHERE product_id = $1`,
			`DELETE FROM commerce_variants WHERE product_id = $1`,
			`DELETE FROM commerce_products WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("catalog: delete: %w", err)
			}
		}
		return nil
	})
}
