package interaction

import (
	"context"
	"fmt"
	"strings"
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

// Mute stops user from commenting in room for d (DefaultMute if 0).
func (h *Hub) Mute(ctx context.Context, roomID, user string, d time.Duration) error {
	if d <= 0 {
		d = DefaultMute
	}
	if err := h.opts.Redis.Set(ctx, h.keyMute(roomID, user), "1", d).Err(); err != nil {
		return fmt.Errorf("interaction: mute: %w", err)
	}
	h.announceSanction(roomID, user, "mute", d)
	h.log.Info("user muted", "room", roomID, "user", user, "for", d)
	return nil
}

// Ban removes user from room and keeps them out for d (0: until lifted).
func (h *Hub) Ban(ctx context.Context, roomID, user string, d time.Duration) error {
	if d < 0 {
		d = 0
	}
	if err := h.opts.Redis.Set(ctx, h.keyBan(roomID, user), "1", d).Err(); err != nil {
		return fmt.Errorf("interaction: ban: %w", err)
	}
	h.announceSanction(roomID, user, "ban", d)
	h.publishCtl(roomID, ctlMsg{Op: "kick", UserID: user})
	h.log.Info("user banned", "room", roomID, "user", user, "for", d)
	return nil
}

// Unmute lifts a mute.
func (h *Hub) Unmute(ctx context.Context, roomID, user string) error {
	if err := h.opts.Redis.Del(ctx, h.keyMute(roomID, user)).Err(); err != nil {
		return fmt.Errorf("interaction: unmute: %w", err)
	}
	h.announceSanction(roomID, user, "unmute", 0)
	return nil
}

// Unban lifts a ban.
func (h *Hub) Unban(ctx context.Context, roomID, user string) error {
	if err := h.opts.Redis.Del(ctx, h.keyBan(roomID, user)).Err(); err != nil {
		return fmt.Errorf("interaction: unban: %w", err)
	}
	h.announceSanction(roomID, user, "unban", 0)
	return nil
}

// announceSanction applies a change to this node's room at once and tells
// the other nodes.
func (h *Hub) announceSanction(roomID, user, kind string, d time.Duration) {
	c := ctlMsg{Op: "sanction", UserID: user, State: kind}
	if d > 0 {
		c.At = time.Now().Add(d).UnixMilli()
	}
	if r := h.room(roomID); r != nil {
		r.applySanction(c)
	}
	h.publishCtl(roomID, c)
}

func (r *Room) applySanction(c ctlMsg) {
	var until time.Time
	if c.At > 0 {
		until = time.UnixMilli(c.At)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
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
	return s.active(time.Now())
}

// loadSanctions reads the room's mutes and bans from Redis.
func (h *Hub) loadSanctions(ctx context.Context, r *Room) {
	prefix := h.ns + ":room:" + r.id + ":"
	next := make(map[string]sanction)
	now := time.Now()
	for _, kind := range []string{"mute", "ban"} {
		iter := h.opts.Redis.Scan(ctx, 0, prefix+kind+":*", 256).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			user := strings.TrimPrefix(key, prefix+kind+":")
			ttl, err := h.opts.Redis.PTTL(ctx, key).Result()
			if err != nil || ttl == -2*time.Nanosecond || ttl == -2*time.Millisecond {
				continue
			}
			var until time.Time
			if ttl > 0 {
				until = now.Add(ttl)
			}
			s := next[user]
			if kind == "mute" {
				s.muted, s.muteUntil = true, until
			} else {
				s.banned, s.banUntil = true, until
			}
			next[user] = s
		}
		if err := iter.Err(); err != nil {
			h.log.Warn("sanctions not loaded", "room", r.id, "err", err)
			return
		}
	}
	r.mu.Lock()
	r.sanctions = next
	r.mu.Unlock()
}

func (h *Hub) isBanned(ctx context.Context, roomID, user string) (bool, error) {
	n, err := h.opts.Redis.Exists(ctx, h.keyBan(roomID, user)).Result()
	if err != nil {
		return false, fmt.Errorf("interaction: ban check: %w", err)
	}
	return n > 0, nil
}
