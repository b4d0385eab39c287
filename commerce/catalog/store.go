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
	"github.com/livesell/livesell/internal/sqldb"
)

// Limits of product fields.
const (
	MaxTitleRunes   = 200
	MaxImages       = 10
	MaxImageURL     = 1024
	MaxPriceMinor   = 1_000_000_000_00
	MaxStock        = 10_000_000
	MaxPerUserLimit = 1000
	MaxRoomProducts = 200
)

// Store is the SQL store of products, bindings and presenting.
type Store struct {
	db *sqldb.DB
}

// NewStore returns a Store over db (migrated by commerce/schema).
func NewStore(db *sqldb.DB) *Store { return &Store{db: db} }

// Validate checks p's fields and normalises the currency.
func Validate(p *Product) error {
	p.Title = strings.TrimSpace(p.Title)
	p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
	switch {
	case p.Title == "" || utf8.RuneCountInString(p.Title) > MaxTitleRunes:
		return fmt.Errorf("%w: title must have 1 to %d characters", ErrInvalid, MaxTitleRunes)
	case len(p.Currency) != 3 || strings.Trim(p.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "":
		return fmt.Errorf("%w: currency must be an ISO 4217 code such as USD", ErrInvalid)
	case p.PriceMinor <= 0 || p.PriceMinor > MaxPriceMinor:
		return fmt.Errorf("%w: price_minor must be between 1 and %d", ErrInvalid, int64(MaxPriceMinor))
	case p.PerUserLimit < 0 || p.PerUserLimit > MaxPerUserLimit:
		return fmt.Errorf("%w: per_user_limit must be between 0 (none) and %d", ErrInvalid, MaxPerUserLimit)
	case p.MinLivePriceMinor < 0 || p.MinLivePriceMinor > p.PriceMinor:
		return fmt.Errorf("%w: min_live_price_minor must be between 0 (none) and price_minor", ErrInvalid)
	case p.MaxDiscountPercent < 0 || p.MaxDiscountPercent > 99:
		return fmt.Errorf("%w: max_discount_percent must be between 0 (none) and 99", ErrInvalid)
	case p.StockTotal < 0 || p.StockTotal > MaxStock:
		return fmt.Errorf("%w: stock must be between 0 and %d", ErrInvalid, MaxStock)
	case len(p.Images) > MaxImages:
		return fmt.Errorf("%w: at most %d images", ErrInvalid, MaxImages)
	}
	for _, u := range p.Images {
		if strings.HasPrefix(strings.ToLower(u), "http://") {
			return fmt.Errorf("%w: image %q is http://: external images must be https:// (browsers block http images on an https page), or upload it with POST /api/images", ErrInvalid, u)
		}
		if len(u) > MaxImageURL || !(strings.HasPrefix(u, "https://") || (strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"))) {
			return fmt.Errorf("%w: images must be https:// or site-relative URLs of at most %d bytes", ErrInvalid, MaxImageURL)
		}
	}
	if p.Images == nil {
		p.Images = []string{}
	}
	return nil
}

// Create validates p, gives it an id and stores it.
func (s *Store) Create(ctx context.Context, p Product) (Product, error) {
	if err := Validate(&p); err != nil {
		return Product{}, err
	}
	now := time.Now().Truncate(time.Millisecond)
	p.ID = ids.New("prd_")
	p.CreatedAt, p.UpdatedAt = now, now
	imgs, _ := json.Marshal(p.Images)
	_, err := s.db.ExecContext(ctx, `INSERT INTO commerce_products (`+productCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.ID, p.Title, string(imgs), p.PriceMinor, p.Currency, p.PerUserLimit, p.StockTotal, now.UnixMilli(), now.UnixMilli(),
		p.MinLivePriceMinor, p.MaxDiscountPercent, boolInt(p.HoldForSale))
	if err != nil {
		return Product{}, fmt.Errorf("catalog: create: %w", err)
	}
	return p, nil
}

const productCols = `id, title, images, price_minor, currency, per_user_limit, stock_total, created_at, updated_at, min_live_price_minor, max_discount_percent, hold_for_sale`

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type scanner interface{ Scan(dest ...any) error }

func scanProduct(row scanner) (Product, error) {
	var p Product
	var imgs string
	var created, updated int64
	var hold int
	if err := row.Scan(&p.ID, &p.Title, &imgs, &p.PriceMinor, &p.Currency, &p.PerUserLimit, &p.StockTotal, &created, &updated,
		&p.MinLivePriceMinor, &p.MaxDiscountPercent, &hold); err != nil {
		return Product{}, err
	}
	p.HoldForSale = hold != 0
	if err := json.Unmarshal([]byte(imgs), &p.Images); err != nil || p.Images == nil {
		p.Images = []string{}
	}
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	return p, nil
}

// Get returns product id.
func (s *Store) Get(ctx context.Context, id string) (Product, error) {
	p, err := scanProduct(s.db.QueryRowContext(ctx, `SELECT `+productCols+` FROM commerce_products WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, fmt.Errorf("%w: product %s", ErrNotFound, id)
	}
	if err != nil {
		return Product{}, fmt.Errorf("catalog: get: %w", err)
	}
	return p, nil
}

// List returns up to limit products created after the product afterID ("" = from the start).
func (s *Store) List(ctx context.Context, afterID string, limit int) ([]Product, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+productCols+` FROM commerce_products WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("catalog: list: %w", err)
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog: list: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Update applies fn to product id inside a transaction and stores the result.
func (s *Store) Update(ctx context.Context, id string, fn func(*Product) error) (Product, error) {
	var out Product
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		p, err := scanProduct(tx.QueryRowContext(ctx, `SELECT `+productCols+` FROM commerce_products WHERE id = $1`+s.db.ForUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: product %s", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("catalog: update: %w", err)
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.ID = id
		if err := Validate(&p); err != nil {
			return err
		}
		p.UpdatedAt = time.Now().Truncate(time.Millisecond)
		imgs, _ := json.Marshal(p.Images)
		if _, err := tx.ExecContext(ctx, `UPDATE commerce_products SET title = $1, images = $2, price_minor = $3, currency = $4, per_user_limit = $5, stock_total = $6, updated_at = $7,
			min_live_price_minor = $8, max_discount_percent = $9, hold_for_sale = $10 WHERE id = $11`,
			p.Title, string(imgs), p.PriceMinor, p.Currency, p.PerUserLimit, p.StockTotal, p.UpdatedAt.UnixMilli(),
			p.MinLivePriceMinor, p.MaxDiscountPercent, boolInt(p.HoldForSale), id); err != nil {
			return fmt.Errorf("catalog: update: %w", err)
		}
		out = p
		return nil
	})
	return out, err
}

// BindRoom replaces room's products with productIDs, in that order.
func (s *Store) BindRoom(ctx context.Context, room string, productIDs []string) error {
	if len(productIDs) > MaxRoomProducts {
		return fmt.Errorf("%w: at most %d products per room", ErrInvalid, MaxRoomProducts)
	}
	seen := make(map[string]bool, len(productIDs))
	for _, id := range productIDs {
		if seen[id] {
			return fmt.Errorf("%w: product %s listed twice", ErrInvalid, id)
		}
		seen[id] = true
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range productIDs {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM commerce_products WHERE id = $1`, id).Scan(&one); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("%w: product %s", ErrNotFound, id)
				}
				return fmt.Errorf("catalog: bind: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM commerce_room_products WHERE room = $1`, room); err != nil {
			return fmt.Errorf("catalog: bind: %w", err)
		}
		for i, id := range productIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO commerce_room_products (room, product_id, position) VALUES ($1, $2, $3)`, room, id, i); err != nil {
				return fmt.Errorf("catalog: bind: %w", err)
			}
		}
		return nil
	})
}

// Bound reports whether product is bound to room.
func (s *Store) Bound(ctx context.Context, room, product string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM commerce_room_products WHERE room = $1 AND product_id = $2`, room, product).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog: bound: %w", err)
	}
	return true, nil
}

// UpcomingSale reports whether some room announced a flash sale of product
// that has not started at now.
func (s *Store) UpcomingSale(ctx context.Context, product string, now time.Time) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM commerce_presenting WHERE product_id = $1 AND sale_starts_at > $2`, product, now.UnixMilli()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("catalog: upcoming sale: %w", err)
	}
	return n > 0, nil
}

// RoomProducts returns room's products in the anchor's order.
func (s *Store) RoomProducts(ctx context.Context, room string) ([]Product, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.title, p.images, p.price_minor, p.currency, p.per_user_limit, p.stock_total, p.created_at, p.updated_at,
		p.min_live_price_minor, p.max_discount_percent, p.hold_for_sale
		FROM commerce_room_products rp JOIN commerce_products p ON p.id = rp.product_id
		WHERE rp.room = $1 ORDER BY rp.position`, room)
	if err != nil {
		return nil, fmt.Errorf("catalog: room products: %w", err)
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog: room products: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func msPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMilli()
}

func timePtr(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}

// SetPresenting stores what room presents now.
func (s *Store) SetPresenting(ctx context.Context, pr Presenting) error {
	pr.UpdatedAt = time.Now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO commerce_presenting (room, product_id, live_price_minor, sale_starts_at, sale_ends_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (room) DO UPDATE SET product_id = excluded.product_id, live_price_minor = excluded.live_price_minor,
			sale_starts_at = excluded.sale_starts_at, sale_ends_at = excluded.sale_ends_at, updated_at = excluded.updated_at`,
		pr.Room, pr.ProductID, pr.LivePriceMinor, msPtr(pr.SaleStartsAt), msPtr(pr.SaleEndsAt), pr.UpdatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("catalog: set presenting: %w", err)
	}
	return nil
}

// ClearPresenting hides room's product; it reports whether one was shown.
func (s *Store) ClearPresenting(ctx context.Context, room string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM commerce_presenting WHERE room = $1`, room)
	if err != nil {
		return false, fmt.Errorf("catalog: clear presenting: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const presentingCols = `room, product_id, live_price_minor, sale_starts_at, sale_ends_at, updated_at`

func scanPresenting(row scanner) (Presenting, error) {
	var pr Presenting
	var starts, ends, updated int64
	if err := row.Scan(&pr.Room, &pr.ProductID, &pr.LivePriceMinor, &starts, &ends, &updated); err != nil {
		return Presenting{}, err
	}
	pr.SaleStartsAt, pr.SaleEndsAt = timePtr(starts), timePtr(ends)
	pr.UpdatedAt = time.UnixMilli(updated)
	return pr, nil
}

// GetPresenting returns what room presents now, or ErrNotFound.
func (s *Store) GetPresenting(ctx context.Context, room string) (Presenting, error) {
	pr, err := scanPresenting(s.db.QueryRowContext(ctx, `SELECT `+presentingCols+` FROM commerce_presenting WHERE room = $1`, room))
	if errors.Is(err, sql.ErrNoRows) {
		return Presenting{}, fmt.Errorf("%w: room %s presents nothing", ErrNotFound, room)
	}
	if err != nil {
		return Presenting{}, fmt.Errorf("catalog: presenting: %w", err)
	}
	return pr, nil
}

// AllPresenting returns every room's presented product.
func (s *Store) AllPresenting(ctx context.Context) ([]Presenting, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+presentingCols+` FROM commerce_presenting`)
	if err != nil {
		return nil, fmt.Errorf("catalog: presenting: %w", err)
	}
	defer rows.Close()
	var out []Presenting
	for rows.Next() {
		pr, err := scanPresenting(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog: presenting: %w", err)
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}
