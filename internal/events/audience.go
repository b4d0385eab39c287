package events

import "time"

// AudienceSubject carries what the audience of room does, for the
// after-show report: joins and leaves, danmaku, likes, clicks ("*" for all
// rooms). Core NATS on several nodes; consumers must tolerate a lost message.
func AudienceSubject(ns, room string) string { return ns + ".room." + room + ".audience" }

// Audience event kinds.
const (
	AudienceJoined  = "joined"
	AudienceLeft    = "left"
	AudienceDanmaku = "danmaku"
	AudienceLike    = "like"
	AudienceClick   = "click"
	AudienceCart    = "cart"
	// AudienceGift is a gift (Count gifts of ProductID, if any).
	AudienceGift = "gift"
	// AudienceState is the room's state changing (Text: live, paused,
	// ended); a show runs from live to ended. Viewer is empty.
	AudienceState = "state"
	// AudienceDanmakuDeleted is a moderator deleting the danmaku MessageID
	// (chat replay drops it).
	AudienceDanmakuDeleted = "danmaku_deleted"
	// AudienceChapter is a replay viewer playing a chapter (ProductID).
	AudienceChapter = "chapter"
)

// AudienceEvent is one thing a viewer did in a room. Viewer is the stable
// per-room pseudonym of the viewer (a user id never leaves the shop's
// services through it); UserID is set for signed-in viewers, for the
// report's new-vs-returning count, and stays inside the node's own stores.
type AudienceEvent struct {
	Room      string `json:"room"`
	Kind      string `json:"kind"`
	Viewer    string `json:"viewer"`
	UserID    string `json:"user_id,omitempty"`
	ProductID string `json:"product_id,omitempty"`
	// Count is how many likes a like event carries (likes are batched).
	Count int `json:"count,omitempty"`
	// Text is a danmaku's text (for draws by keyword and chat replay).
	Text string `json:"text,omitempty"`
	// Name is the display name a danmaku was shown under (chat replay).
	Name string `json:"name,omitempty"`
	// MessageID is the danmaku's id (a danmaku, or the deletion of one:
	// kind "danmaku_deleted"), so chat replay can drop what moderators removed.
	MessageID string `json:"message_id,omitempty"`
	// Referrer is where a joining viewer came from: a share link's
	// referral id, the embed's host page, or the HTTP referrer.
	Referrer string `json:"referrer,omitempty"`
	// Replay is true for what a viewer did on a replay, not the live.
	Replay bool      `json:"replay,omitempty"`
	At     time.Time `json:"at"`
}
