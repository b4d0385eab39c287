package events

import (
	"strings"
	"time"
)

// Entitlement event types, also the last token of their subject.
const (
	EntitlementGranted = "granted"
	EntitlementRevoked = "revoked"
)

// EntitlementsStream is the JetStream stream of entitlement events for
// namespace ns (written by the presale outbox, read by every node's
// admission cache and by the reminder scheduler).
func EntitlementsStream(ns string) string { return strings.ToUpper(ns) + "_ENTITLEMENTS" }

// EntitlementSubject is the subject of an entitlement event of type typ
// ("*" for all).
func EntitlementSubject(ns, typ string) string { return ns + ".entitlement." + typ }

// EntitlementEvent says a user's right to watch a ticketed show was granted
// (a paid ticket, a balance paid, a guest-list import, the shop's backend) or
// revoked (a refund, a released place, the operator). Nodes drop their cached
// pass on either and disconnect the user's sessions in Room on a revoke.
type EntitlementEvent struct {
	// ID is unique per event (the outbox id): consumers act once per ID.
	ID     string `json:"id"`
	Type   string `json:"type"`
	Room   string `json:"room"`
	UserID string `json:"user_id"`
	Tier   string `json:"tier,omitempty"`
	// Source is how it was granted or why it was revoked: paid, balance,
	// guest_list, api, refund, released, operator.
	Source  string    `json:"source,omitempty"`
	OrderID string    `json:"order_id,omitempty"`
	At      time.Time `json:"at"`
}

// Show event types, also the last token of their subject.
const (
	ShowRescheduled = "rescheduled"
	ShowCancelled   = "cancelled"
)

// ShowsStream is the JetStream stream of show (scheduled room) events.
func ShowsStream(ns string) string { return strings.ToUpper(ns) + "_SHOWS" }

// ShowSubject is the subject of a show event of type typ ("*" for all).
func ShowSubject(ns, typ string) string { return ns + ".show." + typ }

// ShowEvent says a scheduled room moved to a new start time or was
// cancelled; reminders move with it, and a cancel refunds its tickets.
type ShowEvent struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Room     string    `json:"room"`
	StartsAt time.Time `json:"starts_at,omitempty"`
	At       time.Time `json:"at"`
}
