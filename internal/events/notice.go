package events

import (
	"encoding/json"
	"time"
)

// NoticeSubject carries room notices: something a capability outside the
// interaction layer wants every viewer of room to see now (a coupon pushed
// live, a draw opened or won, a red packet launched, a large gift). The
// interaction layer relays each notice to the room's members as a
// protocol "notice" message ("*" for all rooms).
func NoticeSubject(ns, room string) string { return ns + ".room." + room + ".notice" }

// Notice is one room notice. Kind names what it is ("coupon.pushed",
// "draw.opened", "draw.won", "redpacket.launched", "gift.sent", ...);
// Data is its JSON body, passed through to the pages unchanged.
type Notice struct {
	ID   string          `json:"id"`
	Room string          `json:"room"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data,omitempty"`
	// Reliable notices are kept for members who join while they are
	// current (until Until) and are never dropped by a slow member's queue;
	// the others are best-effort, batched like likes.
	Reliable bool       `json:"reliable,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	At       time.Time  `json:"at"`
}
