package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/commerce/internal/ids"
)

// Limits of variants.
const (
	MaxVariants      = 100 // per product
	MaxVariantOption = 8   // options (size, colour…) per variant
	MaxOptionRunes   = 64  // of an option's name or value
)

// Variant is one SKU of a product (a size, a colour), with its own stock
// and, when PriceMinor > 0, its own price. A product without variants sells
// as one implicit SKU.
type Variant struct {
	SKU        string            `json:"sku"`
	Title      string            `json:"title"`
	Options    map[string]string `json:"options"`
	PriceMinor int64             `json:"price_minor"`
	StockTotal int64             `json:"stock_total"`
	Position   int               `json:"position"`
}

// Price is the unit price of v of p (the product's when v has none).
func (v Variant) Price(p Product) int64 {
	if v.PriceMinor > 0 {
		return v.PriceMinor
	}
	return p.PriceMinor
}

// ValidateVariant checks v's fields.
func ValidateVariant(v *Variant) error {
	v.Title = strings.TrimSpace(v.Title)
	switch {
	case !ids.Valid(v.SKU):
		return fmt.Errorf("%w: sku must be 1 to 64 of letters, digits, - _ .", ErrInvalid)
	case v.Title == "" || utf8.RuneCountInString(v.Title) > MaxTitleRunes:
		return fmt.Errorf("%w: a variant's title must have 1 to %d characters", ErrInvalid, MaxTitleRunes)
	case v.PriceMinor < 0 || v.PriceMinor > MaxPriceMinor:
		return fmt.Errorf("%w: a variant's price_minor must be between 0 (the product's) and %d", ErrInvalid, int64(MaxPriceMinor))
	case v.StockTotal < 0 || v.StockTotal > MaxStock:
		return fmt.Errorf("%w: a variant's stock must be between 0 and %d", ErrInvalid, MaxStock)
	case len(v.Options) > MaxVariantOption:
		return fmt.Errorf("%w: at most %d options per variant", ErrInvalid, MaxVariantOption)
	case v.Position < 0 || v.Position > 10_000:
		return fmt.Errorf("%w: position must be between 0 and 10000", ErrInvalid)
	}
	for k, val := range v.Options {
		if k == "" || utf8.RuneCountInString(k) > MaxOptionRunes || utf8.RuneCountInString(val) > MaxOptionRunes {
			return fmt.Errorf("%w: option names (1 to %d characters) and values (at most %d)", ErrInvalid, MaxOptionRunes, MaxOptionRunes)
		}
	}
	if v.Options == nil {
		v.Options = map[string]string{}
	}
	return nil
}

// Variants lists product's variants in their order (none: one implicit SKU).
func (s *Store) Variants(ctx context.Context, product string) ([]Variant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sku, title, options, price_minor, stock_total, position FROM commerce_variants
		WHERE product_id = $1 ORDER BY position, sku`, product)
	if err != nil {
		return nil, fmt.Errorf("catalog: variants: %w", err)
	}
	defer rows.Close()
	out := []Variant{}
	for rows.Next() {
		var v Variant
		var opts string
		if err := rows.Scan(&v.SKU, &v.Title, &opts, &v.PriceMinor, &v.StockTotal, &v.Position); err != nil {
			return nil, fmt.Errorf("catalog: variants: %w", err)
		}
		if err := json.Unmarshal([]byte(opts), &v.Options); err != nil || v.Options == nil {
			v.Options = map[string]string{}
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// PutVariant creates or replaces variant v of product and keeps the
// product's stock_total the sum of its variants' (in one transaction).
// check, when set, runs inside the transaction with the variant's previous
// total (0 for a new one) before anything is written: the Redis stock is
// changed there, so that a refusal (below held) changes nothing.
func (s *Store) PutVariant(ctx context.Context, product string, v Variant, check func(prevTotal int64, first bool) error) (Product, Variant, error) {
	if err := ValidateVariant(&v); err != nil {
		return Product{}, Variant{}, err
	}
	var out Product
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, err := scanProduct(tx.QueryRowContext(ctx, `SELECT `+productCols+` FROM commerce_products WHERE id = $1`+s.db.ForUpdate(), product))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: product %s", ErrNotFound, product)
		}
		if err != nil {
			return fmt.Errorf("catalog: variant: %w", err)
		}
		var prev int64
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM commerce_variants WHERE product_id = $1`, product).Scan(&n); err != nil {
			return fmt.Errorf("catalog: variant: %w", err)
		}
		err = tx.QueryRowContext(ctx, `SELECT stock_total FROM commerce_variants WHERE product_id = $1 AND sku = $2`, product, v.SKU).Scan(&prev)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("catalog: variant: %w", err)
		}
		if !exists && n >= MaxVariants {
			return fmt.Errorf("%w: at most %d variants per product", ErrInvalid, MaxVariants)
		}
		first := n == 0
		if first && p.StockTotal > 0 {
			return fmt.Errorf("%w: set the product's stock to 0 before adding variants (each variant has its own stock)", ErrInvalid)
		}
		if check != nil {
			if err := check(prev, first); err != nil {
				return err
			}
		}
		now := time.Now().UnixMilli()
		opts, _ := json.Marshal(v.Options)
		if exists {
			_, err = tx.ExecContext(ctx, `UPDATE commerce_variants SET title = $1, options = $2, price_minor = $3, stock_total = $4, position = $5, updated_at = $6
				WHERE product_id = $7 AND sku = $8`, v.Title, string(opts), v.PriceMinor, v.StockTotal, v.Position, now, product, v.SKU)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO commerce_variants (product_id, sku, title, options, price_minor, stock_total, position, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, product, v.SKU, v.Title, string(opts), v.PriceMinor, v.StockTotal, v.Position, now, now)
		}
		if err != nil {
			return fmt.Errorf("catalog: variant: %w", err)
		}
		p.StockTotal += v.StockTotal - prev
		p.UpdatedAt = time.UnixMilli(now)
		if _, err := tx.ExecContext(ctx, `UPDATE commerce_products SET stock_total = $1, updated_at = $2 WHERE id = $3`, p.StockTotal, now, product); err != nil {
			return fmt.Errorf("catalog: variant: %w", err)
		}
		out = p
		return nil
	})
	return out, v, err
}

type cachedVariants struct {
	vs []Variant
	at time.Time
}

// Variants lists product's variants, cached for the cache's ttl (a local
// PutVariant forgets them at once through Forget).
func (c *Cache) Variants(ctx context.Context, product string) ([]Variant, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.variants[product]
	c.mu.RUnlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.vs, nil
	}
	vs, err := c.store.Variants(ctx, product)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	putBounded(&c.variants, product, cachedVariants{vs: vs, at: now})
	c.mu.Unlock()
	return vs, nil
}
