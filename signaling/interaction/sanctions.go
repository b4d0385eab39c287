package interaction

import (
	"context"
	"time"

	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// DefaultMute is the length of a mute without a duration.
const DefaultMute = 10 * time.Minute

// Mutes and bans live in Redis (keys with a TTL, the truth, read on join
// and every refresh) and, for the hot path, in each running room's memory,
// kept current by "sanction" control events: checking a danmaku or like
// costs no round trip.

// sanction is one user's mute or ban in a room; zero until means until lifted.
type sanction struct {
	muteUntil, banUntil time.Time
	muted, banned       bool
}

func (s sanction) active(now time.Time) string {
	switch {
	case s.banned && (s.banUntil.IsZero() || now.Before(s.banUntil)):
		return protocol.CodeBanned
	case s.muted && (s.muteUntil.IsZero() || now.Before(s.muteUntil)):
		return protocol.CodeMuted
	}
	return ""
}

func (r *Room) applySanction(c Control) {
	var until time.Time
	if c.At > 0 {
		until = time.UnixMilli(c.At)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sanctionSeq++
	if r.sanctions == nil {
		r.sanctions = make(map[string]sanction)
	}
	s := r.sanctions[c.UserID]
	switch c.State {
	case "mute":
		s.muted, s.muteUntil = true, until
	case "ban":
		s.banned, s.banUntil = true, until
	case "unmute":
		s.muted = false
	case "unban":
		s.banned = false
	default:
		return
	}
	if !s.muted && !s.banned {
		delete(r.sanctions, c.UserID)
		return
	}
	r.sanctions[c.UserID] = s
}

// sanctionOf returns banned or muted (as a protocol code) or "".
func (r *Room) sanctionOf(user string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sanctions[user]
	if !ok {
		return ""
	}
	return s.active(r.hub.now())
}

// loadSanctions reads the room's mutes and bans from Redis. A change
// applied while it read (a mute that Redis may not have shown yet) wins:
// the list read is then dropped, and the next reload catches up.
func (r *Room) loadSanctions(ctx context.Context) {
	r.mu.Lock()
	seq := r.sanctionSeq
	r.mu.Unlock()
	next, err := r.hub.store.sanctions(ctx, r.id, r.hub.now())
	if err != nil {
		r.hub.log.Warn("sanctions not loaded", "room", r.id, "err", err)
		return
	}
	r.mu.Lock()
	if r.sanctionSeq == seq {
		r.sanctions = next
	}
	r.mu.Unlock()
}
