// Package order takes orders for live goods: stock is reserved in Redis in
// one round trip (commerce/stock), then the order row is written in SQL, the
// source of truth. Unpaid orders expire and return their stock exactly once;
// provider callbacks are applied at most once per transaction; every state
// change writes its event to the outbox in the same transaction; and a
// reconciler repairs Redis from SQL after crashes.
package order

import (
	"errors"
	"time"

	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/internal/events"
)

// Status is an order's state:
//
//	PENDING → PAID → SHIPPED → COMPLETED
//	PENDING → CANCELLED | EXPIRED
//	PAID → REFUNDED;  EXPIRED|CANCELLED → PAID (late payment reinstated) | REFUNDED (late payment without stock)
type Status string

// Order states.
const (
	Pending   Status = "PENDING"
	Paid      Status = "PAID"
	Shipped   Status = "SHIPPED"
	Completed Status = "COMPLETED"
	Cancelled Status = "CANCELLED"
	Expired   Status = "EXPIRED"
	Refunded  Status = "REFUNDED"
)

// ValidStatus reports whether s names a state.
func ValidStatus(s Status) bool {
	switch s {
	case Pending, Paid, Shipped, Completed, Cancelled, Expired, Refunded:
		return true
	}
	return false
}

var transitions = map[Status][]Status{
	Pending:   {Paid, Cancelled, Expired},
	Paid:      {Shipped, Refunded},
	Shipped:   {Completed},
	Cancelled: {Paid, Refunded},
	Expired:   {Paid, Refunded},
}

// CanMove reports whether from → to is a legal transition.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// HoldsStock reports whether an order in state s holds units of stock.
func HoldsStock(s Status) bool {
	return s == Pending || s == Paid || s == Shipped || s == Completed
}

// eventType is the outbox event of entering state s ("" for none).
func eventType(s Status) string {
	switch s {
	case Pending:
		return events.OrderCreated
	case Paid:
		return events.OrderPaid
	case Expired:
		return events.OrderExpired
	case Cancelled:
		return events.OrderCancelled
	case Refunded:
		return events.OrderRefunded
	}
	return ""
}

// Sentinel errors, checked with errors.Is.
var (
	ErrNotFound         = errors.New("order: not found")
	ErrSoldOut          = errors.New("order: sold out")
	ErrLimit            = errors.New("order: per-user limit reached")
	ErrUnpaidLimit      = errors.New("order: too many units held unpaid")
	ErrIdempotencyReuse = errors.New("order: idempotency key reused with another request")
	ErrBadState         = errors.New("order: not allowed in this state")
	ErrSaleClosed       = errors.New("order: the flash sale has not started")
	ErrAmountMismatch   = errors.New("order: amount or currency does not match the order")
	ErrDuplicate        = errors.New("order: transaction already applied")
	ErrUnknownPayment   = errors.New("order: unknown payment")
	ErrInvalid          = errors.New("order: invalid request")
	// ErrCrashed is returned by the test hook that simulates a crash
	// between the Redis reservation and the SQL insert.
	ErrCrashed = errors.New("order: simulated crash")
)

// Order is one purchase. Money is in minor units.
type Order struct {
	ID             string     `json:"id"`
	UserID         string     `json:"user_id"`
	Room           string     `json:"room,omitempty"`
	ProductID      string     `json:"product_id"`
	ProductTitle   string     `json:"product_title"`
	Quantity       int        `json:"quantity"`
	UnitPriceMinor int64      `json:"unit_price_minor"`
	AmountMinor    int64      `json:"amount_minor"`
	Currency       string     `json:"currency"`
	Status         Status     `json:"status"`
	Provider       string     `json:"provider,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	// Lines are a cart order's lines (several products or variants, one
	// payment); empty for a one-product order of no variant, whose one
	// line is ProductID × Quantity. ProductID, ProductTitle and
	// UnitPriceMinor are then the first line's, Quantity the units of
	// all lines and AmountMinor their sum.
	Lines []Line `json:"lines,omitempty"`
	// DiscountMinor is what coupons took off (AmountMinor is after it);
	// Discounts are each line's share per coupon (on the created order).
	DiscountMinor int64          `json:"discount_minor,omitempty"`
	Discounts     []LineDiscount `json:"discounts,omitempty"`

	idemKey     string
	requestHash string
	providerTxn string
}

// Event is the order event of o's current state.
func (o *Order) Event(typ string) events.OrderEvent {
	return events.OrderEvent{
		Type: typ, OrderID: o.ID, Room: o.Room, ProductID: o.ProductID, ProductTitle: o.ProductTitle,
		UserID: o.UserID, Quantity: o.Quantity, AmountMinor: o.AmountMinor, Currency: o.Currency,
		At: time.Now().UTC(),
	}
}

// Payment is one payment attempt of an order.
type Payment struct {
	ID          string
	OrderID     string
	Provider    string
	AmountMinor int64
	Currency    string
	ProviderRef string
	CreatedAt   time.Time

	checkout payment.Checkout // what Begin answered, reused by a repeated /pay
}
