// Package room is the registry of live rooms and their push keys: rooms are
// created by the operator, each has at most one live publisher, and anchors
// authenticate their WHIP publish with a push key that can be rotated and
// revoked. Keys are random (≥128 bits) and stored only as hashes.
//
// NewStore opens the store over the node's SQL database (applying the
// "rooms" migrations); it keeps no other state, so each capability may hold
// its own. Other capabilities read rooms through small interfaces of their
// own, and a presented push key is checked only by internal/auth, through
// these methods of *Store:
//
//	Get(ctx, id string) (room.Room, error)                  // room.ErrNotFound
//	PushKeyID(ctx, roomID, key string) (keyID string, error) // auth.PushKeys
package room

import (
	"errors"
	"time"

	"github.com/livesell/livesell/internal/roomid"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound means there is no such room (or key).
	ErrNotFound = errors.New("room: not found")
	// ErrBadKey means the push key is unknown for this room.
	ErrBadKey = errors.New("room: bad push key")
	// ErrKeyRevoked means the push key was revoked.
	ErrKeyRevoked = errors.New("room: push key revoked")
	// ErrExists means a room with the requested id already exists.
	ErrExists = errors.New("room: already exists")
	// ErrInvalid means a field is out of its allowed range (see Validate).
	ErrInvalid = errors.New("room: invalid")
	// ErrTooManyKeys means the room already has MaxActiveKeys unrevoked keys.
	ErrTooManyKeys = errors.New("room: too many active push keys")
)

// Limits of room fields.
const (
	// MaxIDLen is the longest room id (the rule is internal/roomid's).
	MaxIDLen = roomid.MaxLen
	// MaxTitleRunes is the longest title, in characters.
	MaxTitleRunes = 200
	// MaxActiveKeys is how many unrevoked push keys one room may have.
	MaxActiveKeys = 16
	// MaxCoverURLLen is the longest cover image URL, in bytes.
	MaxCoverURLLen = 2048
)

// Live reports whether the state accepts viewers with media flowing.
func (s State) Live() bool { return s == StateLive }

// Valid reports whether s is one of the four states.
func (s State) Valid() bool {
	switch s {
	case StateIdle, StateLive, StatePaused, StateEnded:
		return true
	}
	return false
}

// State is a room's broadcast state.
type State string

// Room states.
const (
	StateIdle   State = "idle"   // created, not live yet
	StateLive   State = "live"   // a publisher is sending
	StatePaused State = "paused" // the publisher dropped; viewers wait
	StateEnded  State = "ended"  // the anchor ended the live
	// StateScheduled is never stored: it is how an idle room whose
	// StartsAt is still ahead is shown (see Room.Shown).
	StateScheduled State = "scheduled"
)

// Room is one live-selling room.
type Room struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Private rooms admit only viewers with a token that names them.
	Private bool `json:"private"`
	// AnonymousChat lets viewers without a user token comment.
	AnonymousChat bool      `json:"anonymous_chat"`
	State         State     `json:"state"`
	CreatedAt     time.Time `json:"created_at"`
	// StartsAt is when the show is announced to start (nil: unscheduled).
	StartsAt *time.Time `json:"starts_at,omitempty"`
	// CoverURL is the https URL of the room's cover image ("" for none).
	CoverURL string `json:"cover_url,omitempty"`
	// SellAfterEnd keeps the goods buyable on the ended room's closing screen.
	SellAfterEnd bool `json:"sell_after_end"`
	// NextRoom is the id of the next show the closing screen points to ("" for none).
	NextRoom string `json:"next_room,omitempty"`
	// Record: the room's lives are recorded (replays).
	Record bool `json:"record"`
}

// Shown is the state to show at now: StateScheduled for an idle room
// whose StartsAt is after now, else the stored state.
func (r Room) Shown(now time.Time) State {
	if r.State == StateIdle && r.StartsAt != nil && r.StartsAt.After(now) {
		return StateScheduled
	}
	return r.State
}

// Key is a push key's public record (never the key itself).
type Key struct {
	ID        string     `json:"id"`
	RoomID    string     `json:"room_id"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
