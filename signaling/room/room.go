// Package room is the registry of live rooms and their push keys: rooms are
// created by the operator, each has at most one live publisher, and anchors
// authenticate their WHIP publish with a push key that can be rotated and
// revoked. Keys are random (≥128 bits) and stored only as hashes.
//
// Other capabilities read rooms through small interfaces of their own with
// these methods of *Store:
//
//	Get(ctx, id string) (room.Room, error)                      // room.ErrNotFound
//	VerifyPushKey(ctx, roomID, key string) (room.Key, error)     // room.ErrBadKey, room.ErrKeyRevoked
package room

import (
	"errors"
	"time"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound means there is no such room (or key).
	ErrNotFound = errors.New("room: not found")
	// ErrBadKey means the push key is unknown for this room.
	ErrBadKey = errors.New("room: bad push key")
	// ErrKeyRevoked means the push key was revoked.
	ErrKeyRevoked = errors.New("room: push key revoked")
)

// State is a room's broadcast state.
type State string

// Room states.
const (
	StateIdle   State = "idle"   // created, not live yet
	StateLive   State = "live"   // a publisher is sending
	StatePaused State = "paused" // the publisher dropped; viewers wait
	StateEnded  State = "ended"  // the anchor ended the live
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
}

// Key is a push key's public record (never the key itself).
type Key struct {
	ID        string     `json:"id"`
	RoomID    string     `json:"room_id"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
