package interaction

import (
	"context"

	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// Bus carries a room's events to every node that runs the room. One node
// uses LocalBus (a danmaku goes from its sender's goroutine straight into
// the room: no network hop); several nodes use NATSBus.
type Bus interface {
	// Publish delivers ev to every subscriber of ev.Room on every node
	// (this one included); EventWords goes to the node-wide subscribers.
	// A danmaku is also kept in the room's recent list.
	Publish(ctx context.Context, ev Event) error
	// Subscribe calls fn with every event of room ("" for node-wide
	// events) until cancel is called. fn must not block.
	Subscribe(room string, fn func(Event)) (cancel func(), err error)
	// Recent returns the danmaku kept for room, oldest first.
	Recent(ctx context.Context, room string) ([]protocol.Danmaku, error)
	// Forget removes a danmaku from room's recent list.
	Forget(ctx context.Context, room, id string) error
	// Close releases the bus; subscriptions end.
	Close() error
}

// EventKind says which field of an Event is set.
type EventKind uint8

// Event kinds.
const (
	EventDanmaku EventKind = iota + 1 // Danmaku: an accepted comment
	EventLikes                        // Likes: the room's like total after a node's flush
	EventControl                      // Control: delete, pinned, state, sanction, kick
	EventWords                        // Words: the blocked-word list changed (node-wide)
)

// Event is one message of the bus.
type Event struct {
	Kind    EventKind
	Room    string
	Danmaku protocol.Danmaku
	Likes   int64
	Control Control
	Words   []string
}

// Control is a moderation or state event relayed to every node of a room.
type Control struct {
	Op        string `json:"op"` // delete, pinned, state, sanction, kick
	MessageID string `json:"message_id,omitempty"`
	Text      string `json:"text,omitempty"`
	At        int64  `json:"at,omitempty"`
	State     string `json:"state,omitempty"`
	UserID    string `json:"user_id,omitempty"`
}
