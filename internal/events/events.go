// Package events names the NATS subjects and payloads that livesell's
// capabilities exchange, so that commerce and the interaction layer agree on
// the wire without importing each other. Every subject starts with the
// deployment's namespace (config "namespace", "livesell" by default).
//
//	<ns>.order.<created|paid|expired|refunded|cancelled>   JetStream stream <NS>_ORDERS (OrderEvent, via the commerce outbox)
//	<ns>.room.<room>.card                                  JetStream stream <NS>_CARDS, last message per room kept (ProductCard)
//	<ns>.user.activity                                     core NATS (Activity: watched room, clicked product, want)
//
// The interaction layer owns <ns>.room.<room>.chat.* subjects of its own.
package events

import (
	"strings"
	"time"
)

// Order event types, also the last token of their subject.
const (
	OrderCreated   = "created"
	OrderPaid      = "paid"
	OrderExpired   = "expired"
	OrderCancelled = "cancelled"
	OrderRefunded  = "refunded"
)

// OrdersStream is the JetStream stream of order events for namespace ns.
func OrdersStream(ns string) string { return strings.ToUpper(ns) + "_ORDERS" }

// OrderSubject is the subject of an order event of type typ ("*" for all).
func OrderSubject(ns, typ string) string { return ns + ".order." + typ }

// CardsStream is the JetStream stream holding the current product card of each room.
func CardsStream(ns string) string { return strings.ToUpper(ns) + "_CARDS" }

// CardSubject is the subject of room's product card ("*" for all rooms).
func CardSubject(ns, room string) string { return ns + ".room." + room + ".card" }

// ActivitySubject carries viewer activity used for user tags.
func ActivitySubject(ns string) string { return ns + ".user.activity" }

// OrderEvent is a domain event about one order. It carries no personal data
// beyond the user id, which never leaves the shop's own services; the
// purchase ticker shows only City and ProductTitle.
type OrderEvent struct {
	// ID is unique per event (idempotency for consumers: the outbox id).
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	OrderID      string    `json:"order_id"`
	Room         string    `json:"room,omitempty"`
	ProductID    string    `json:"product_id"`
	ProductTitle string    `json:"product_title"`
	UserID       string    `json:"user_id"`
	Quantity     int       `json:"quantity"`
	AmountMinor  int64     `json:"amount_minor"`
	Currency     string    `json:"currency"`
	City         string    `json:"city,omitempty"`
	At           time.Time `json:"at"`
}

// ProductCard is what viewers see while the anchor presents a product.
// Shown false hides the card.
type ProductCard struct {
	Room           string `json:"room"`
	Shown          bool   `json:"shown"`
	ProductID      string `json:"product_id,omitempty"`
	Title          string `json:"title,omitempty"`
	Image          string `json:"image,omitempty"`
	PriceMinor     int64  `json:"price_minor,omitempty"`
	LivePriceMinor int64  `json:"live_price_minor,omitempty"`
	Currency       string `json:"currency,omitempty"`
	StockLeft      int64  `json:"stock_left"`
	// PerUserLimit is how many units one buyer may buy (0 = no limit).
	PerUserLimit int        `json:"per_user_limit,omitempty"`
	SaleStartsAt *time.Time `json:"sale_starts_at,omitempty"`
	SaleEndsAt   *time.Time `json:"sale_ends_at,omitempty"`
	// Variants are the product's SKUs with their units left (absent: the
	// product is one SKU); StockLeft is then their sum.
	Variants []CardVariant `json:"variants,omitempty"`
	// Version increases with every change, so clients drop stale cards.
	Version int64     `json:"version"`
	At      time.Time `json:"at"`
}

// CardVariant is one SKU on a product card.
type CardVariant struct {
	SKU        string            `json:"sku"`
	Title      string            `json:"title"`
	Options    map[string]string `json:"options,omitempty"`
	PriceMinor int64             `json:"price_minor"`
	StockLeft  int64             `json:"stock_left"`
}

// Activity kinds, used as user tags.
const (
	ActivityWatched = "watched"
	ActivityClicked = "clicked"
	ActivityWant    = "want"
)

// Activity is a viewer's action in a room, for the shop's user tags.
type Activity struct {
	UserID    string    `json:"user_id"`
	Room      string    `json:"room"`
	Kind      string    `json:"kind"`
	ProductID string    `json:"product_id,omitempty"`
	At        time.Time `json:"at"`
}
