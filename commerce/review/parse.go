package review

import (
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
)

// maxEventBytes bounds an event read from NATS or a replay page.
const maxEventBytes = 64 << 10

// ErrBadEvent means an event could not be read.
var ErrBadEvent = errors.New("review: malformed event")

// ParseCard reads a product card from the cards subject.
func ParseCard(data []byte) (events.ProductCard, error) {
	var c events.ProductCard
	if len(data) > maxEventBytes || json.Unmarshal(data, &c) != nil || !roomid.Valid(c.Room) || !clean(c.ProductID, 128) || !clean(c.Title, 512) || !clean(c.Image, 2048) || !clean(c.Currency, 8) {
		return events.ProductCard{}, ErrBadEvent
	}
	c.Variants = nil // not part of a chapter
	return c, nil
}

// ParseOrderEvent reads an order event from the orders stream.
func ParseOrderEvent(data []byte) (events.OrderEvent, error) {
	var ev events.OrderEvent
	if len(data) > maxEventBytes || json.Unmarshal(data, &ev) != nil || ev.ID == "" || ev.OrderID == "" || ev.At.IsZero() ||
		(ev.Room != "" && !roomid.Valid(ev.Room)) || !clean(ev.ID, 128) || !clean(ev.OrderID, 128) || !clean(ev.ProductID, 128) || ev.Quantity < 0 || ev.AmountMinor < 0 {
		return events.OrderEvent{}, ErrBadEvent
	}
	switch ev.Type {
	case events.OrderCreated, events.OrderPaid, events.OrderExpired, events.OrderCancelled, events.OrderRefunded:
	default:
		return events.OrderEvent{}, ErrBadEvent
	}
	return ev, nil
}

// ReplayEvent is what the replay page reports: a view starting, a chapter
// played, a product clicked or added to the cart.
type ReplayEvent struct {
	Kind      string `json:"kind"`
	Viewer    string `json:"viewer"`
	ProductID string `json:"product_id,omitempty"`
	Referrer  string `json:"referrer,omitempty"`
}

// Replay event kinds the page may report.
const (
	ReplayView    = "view"
	ReplayChapter = "chapter"
	ReplayClick   = "click"
	ReplayCart    = "cart"
)

// ParseReplayEvent reads a replay page's report. Viewer is the page's own
// random id (1–64 of [A-Za-z0-9_-]).
func ParseReplayEvent(data []byte) (ReplayEvent, error) {
	var ev ReplayEvent
	if len(data) > 4096 || json.Unmarshal(data, &ev) != nil || !token(ev.Viewer, 64) || !clean(ev.ProductID, 128) || !clean(ev.Referrer, 1024) {
		return ReplayEvent{}, ErrBadEvent
	}
	switch ev.Kind {
	case ReplayView:
	case ReplayChapter, ReplayClick, ReplayCart:
		if ev.ProductID == "" {
			return ReplayEvent{}, ErrBadEvent
		}
	default:
		return ReplayEvent{}, ErrBadEvent
	}
	return ev, nil
}

// clean: at most n bytes of valid UTF-8 without control characters.
func clean(s string, n int) bool {
	if len(s) > n || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func token(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
