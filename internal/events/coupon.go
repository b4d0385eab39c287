package events

import "time"

// Coupon event types. They travel in the order events stream (through the
// commerce outbox) as <ns>.order.<type>; consumers of order events switch
// on OrderEvent.Type and skip these.
const (
	CouponClaimed = "coupon_claimed"
	CouponIssued  = "coupon_issued"
)

// CouponEvent says a user got a coupon: claimed in the room (a tap on the
// pushed coupon) or issued by an event (a return coupon for a paid order).
type CouponEvent struct {
	// ID is unique per event (the outbox id).
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	CouponID string    `json:"coupon_id"`
	ClaimID  string    `json:"claim_id"`
	Room     string    `json:"room,omitempty"`
	UserID   string    `json:"user_id"`
	OrderID  string    `json:"order_id,omitempty"`
	At       time.Time `json:"at"`
}
