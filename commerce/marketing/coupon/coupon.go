// Package coupon is live coupons: templates (amount off, percent off with a
// cap, threshold "¥20 off over ¥199" 满减, free shipping) with a validity
// window, a total quantity, a per-user limit, an audience and products; the
// anchor pushes one live to the room (a reliable notice with a countdown);
// viewers claim it in one tap (one Redis Lua script: quantity, per-user
// limit, idempotent, rate limits) and the claim is written to SQL with its
// outbox event; an order applies claimed coupons through Combine, the one
// function of the stacking rules; a cancelled or expired order returns its
// coupons once, a refund follows the template's rule, and an order.paid
// event can issue a return coupon.
package coupon

import (
	"errors"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/roomid"
)

// Kind is what a coupon takes off.
type Kind string

// Coupon kinds.
const (
	// AmountOff takes AmountMinor off the eligible lines.
	AmountOff Kind = "amount_off"
	// PercentOff takes Percent % off the eligible lines, at most CapMinor (0 = no cap).
	PercentOff Kind = "percent_off"
	// Threshold takes AmountMinor off when the eligible lines reach MinSpendMinor (满减).
	Threshold Kind = "threshold"
	// FreeShipping waives shipping; it takes nothing off the goods.
	FreeShipping Kind = "free_shipping"
)

// Audience says who may claim a coupon.
type Audience string

// Audiences.
const (
	// Everyone in the room (the token must admit the room).
	Everyone Audience = "everyone"
	// TicketHolders of the room (auth.Tickets).
	TicketHolders Audience = "tickets"
	// Tagged users: those with Template.Tag (commerce/tags).
	Tagged Audience = "tag"
)

// Refund rules: what a refund of an order does to its coupons.
const (
	RefundReturn = "return" // the coupon is the buyer's again
	RefundVoid   = "void"   // the coupon is spent
)

// Template is a coupon as the shop defines it. Money is in minor units.
type Template struct {
	ID    string `json:"id"`
	Room  string `json:"room"`
	Title string `json:"title"`
	Kind  Kind   `json:"kind"`
	// AmountMinor is taken off (amount_off, threshold).
	AmountMinor int64 `json:"amount_minor,omitempty"`
	// Percent (1..95) and CapMinor (0 = no cap) of a percent_off coupon.
	Percent  int   `json:"percent,omitempty"`
	CapMinor int64 `json:"cap_minor,omitempty"`
	// MinSpendMinor is the eligible subtotal the order must reach
	// (required for threshold, optional for the others).
	MinSpendMinor int64  `json:"min_spend_minor,omitempty"`
	Currency      string `json:"currency"`
	// Total coupons that may be claimed; PerUser claims per user (default 1).
	Total   int64 `json:"total"`
	PerUser int   `json:"per_user"`
	// StartsAt..EndsAt is when the coupon may be claimed and used.
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Audience Audience  `json:"audience"`
	Tag      string    `json:"tag,omitempty"`
	// Products the coupon applies to (empty: every product).
	Products []string `json:"products,omitempty"`
	// Exclusive coupons combine with no other coupon.
	Exclusive bool `json:"exclusive,omitempty"`
	// Refund is RefundReturn or RefundVoid (default).
	Refund string `json:"refund,omitempty"`
	// IssueOnPaid, when set, is a product id: each paid order of it
	// issues one of these coupons to its buyer (a return coupon).
	IssueOnPaid string    `json:"issue_on_paid,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// MaxProducts bounds a template's product list.
const MaxProducts = 100

// invalid is a coupon_invalid error naming what is wrong.
func invalid(format string, args ...any) error {
	return apierr.E(apierr.CodeCouponInvalid, format, args...)
}

// Validate checks t and fills its defaults.
func (t *Template) Validate() error {
	if t.PerUser == 0 {
		t.PerUser = 1
	}
	if t.Audience == "" {
		t.Audience = Everyone
	}
	if t.Refund == "" {
		t.Refund = RefundVoid
	}
	if t.Currency == "" {
		t.Currency = "CNY"
	}
	switch {
	case !roomid.Valid(t.Room):
		return invalid("room must be a room id")
	case t.Title == "" || len(t.Title) > 120:
		return invalid("title is required (at most 120 bytes)")
	case t.Total < 1 || t.Total > 10_000_000:
		return invalid("total must be between 1 and 10000000")
	case t.PerUser < 1 || t.PerUser > 100:
		return invalid("per_user must be between 1 and 100")
	case t.EndsAt.IsZero() || !t.EndsAt.After(t.StartsAt):
		return invalid("ends_at must be after starts_at")
	case t.MinSpendMinor < 0 || t.AmountMinor < 0 || t.CapMinor < 0:
		return invalid("amounts must not be negative")
	case len(t.Currency) != 3:
		return invalid("currency must be a 3-letter code")
	case len(t.Products) > MaxProducts:
		return invalid("at most %d products", MaxProducts)
	case t.Refund != RefundReturn && t.Refund != RefundVoid:
		return invalid("refund must be return or void")
	case t.IssueOnPaid != "" && !ids.Valid(t.IssueOnPaid):
		return invalid("issue_on_paid must be a product id")
	}
	for _, p := range t.Products {
		if !ids.Valid(p) {
			return invalid("products: %q is not a product id", p)
		}
	}
	switch t.Audience {
	case Everyone, TicketHolders:
	case Tagged:
		if t.Tag == "" || len(t.Tag) > 64 {
			return invalid("audience tag needs a tag")
		}
	default:
		return invalid("audience must be everyone, tickets or tag")
	}
	switch t.Kind {
	case AmountOff:
		if t.AmountMinor < 1 {
			return invalid("amount_off needs amount_minor")
		}
	case Threshold:
		if t.AmountMinor < 1 || t.MinSpendMinor <= t.AmountMinor {
			return invalid("threshold needs amount_minor and a larger min_spend_minor")
		}
	case PercentOff:
		if t.Percent < 1 || t.Percent > 95 {
			return invalid("percent must be between 1 and 95")
		}
	case FreeShipping:
	default:
		return invalid("kind must be amount_off, percent_off, threshold or free_shipping")
	}
	return nil
}

// Claim is one coupon a user holds.
type Claim struct {
	ID         string `json:"id"`
	TemplateID string `json:"coupon_id"`
	UserID     string `json:"user_id"`
	Status     string `json:"status"`
	OrderID    string `json:"order_id,omitempty"`
	// AmountMinor is the amount of an amount_off claim issued with its
	// own amount (Issue: a red packet's grab); 0 = the template's.
	AmountMinor int64     `json:"amount_minor,omitempty"`
	ClaimedAt   time.Time `json:"claimed_at"`
	// Template is the coupon's template (on reads for the buyer).
	Template *Template `json:"coupon,omitempty"`
}

// Claim states.
const (
	StatusClaimed = "claimed" // the user's to use
	StatusUsed    = "used"    // applied to OrderID
	StatusVoid    = "void"    // spent by a refunded order
)

// Sentinel errors, checked with errors.Is.
var (
	ErrNotFound = errors.New("coupon: not found")
)

func notFound(id string) error {
	return fmt.Errorf("%w: %s: %w", ErrNotFound, id, apierr.New(apierr.CodeCouponNotFound))
}
