// Package catalog keeps the shop's products, their binding to rooms in the
// order the anchor chose, and the product each room presents now (with an
// optional live-only price and flash-sale window); it publishes the product
// card viewers see.
package catalog

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound means there is no such product (or no presented product).
	ErrNotFound = errors.New("catalog: not found")
	// ErrInvalid means a product or binding breaks a rule; the wrapped
	// message says which.
	ErrInvalid = errors.New("catalog: invalid")
	// ErrBelowFloor means a live price is below the floor the admin set
	// for the product (minimum live price or maximum discount).
	ErrBelowFloor = errors.New("catalog: live price below the product's floor")
	// ErrNotInRoom means the product is not bound to the room.
	ErrNotInRoom = errors.New("catalog: product not bound to the room")
)

// Product is one sellable item. Money is in minor units (cents, fen).
type Product struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Images       []string `json:"images"`
	PriceMinor   int64    `json:"price_minor"`
	Currency     string   `json:"currency"`
	PerUserLimit int      `json:"per_user_limit"`
	// StockTotal is the units put on sale (sold, held and left).
	StockTotal int64 `json:"stock_total"`
	// MinLivePriceMinor (0 = none) and MaxDiscountPercent (0 = none) are
	// the floor of any live price; only the admin sets them.
	MinLivePriceMinor  int64 `json:"min_live_price_minor"`
	MaxDiscountPercent int   `json:"max_discount_percent"`
	// HoldForSale keeps the stock for a room's flash sale: while a sale of
	// this product is announced and has not started, it cannot be bought
	// anywhere, not even at list price.
	HoldForSale bool      `json:"hold_for_sale"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LiveFloor is the lowest live price the product may be presented at: the
// admin's floor (min_live_price_minor, max_discount_percent); for a product
// without one, the server's default largest discount defaultMaxDiscount
// (percent; 0 = none).
func (p Product) LiveFloor(defaultMaxDiscount int) int64 {
	discount := p.MaxDiscountPercent
	if discount == 0 && p.MinLivePriceMinor == 0 {
		discount = defaultMaxDiscount
	}
	floor := p.MinLivePriceMinor
	if discount > 0 && discount < 100 {
		// ceil(price × (100 − discount) / 100), in integers.
		if f := (p.PriceMinor*int64(100-discount) + 99) / 100; f > floor {
			floor = f
		}
	}
	return floor
}

// CheckLivePrice refuses a live price (0 = none) below p's floor.
func (p Product) CheckLivePrice(live int64, defaultMaxDiscount int) error {
	if floor := p.LiveFloor(defaultMaxDiscount); live > 0 && live < floor {
		return fmt.Errorf("%w: %d is below %d", ErrBelowFloor, live, floor)
	}
	return nil
}

// Presenting is the product a room shows now.
type Presenting struct {
	Room      string `json:"room"`
	ProductID string `json:"product_id"`
	// LivePriceMinor, when positive, is the live-only price.
	LivePriceMinor int64 `json:"live_price_minor,omitempty"`
	// SaleStartsAt/SaleEndsAt, when set, bound the flash sale: before the
	// start the product cannot be bought in this room; after the end the
	// live price no longer applies.
	SaleStartsAt *time.Time `json:"sale_starts_at,omitempty"`
	SaleEndsAt   *time.Time `json:"sale_ends_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Price is the unit price of p in room r at now, and whether it may be
// bought there now at all.
func (pr *Presenting) Price(p Product, now time.Time) (price int64, open bool) {
	if pr == nil || pr.ProductID != p.ID {
		return p.PriceMinor, true
	}
	if pr.SaleStartsAt != nil && now.Before(*pr.SaleStartsAt) {
		return p.PriceMinor, false
	}
	if pr.LivePriceMinor > 0 && (pr.SaleEndsAt == nil || now.Before(*pr.SaleEndsAt)) {
		return pr.LivePriceMinor, true
	}
	return p.PriceMinor, true
}
