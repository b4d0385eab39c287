package interaction

import (
	"context"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/interaction/protocol"
)

// DefaultMute is the length of a mute without a duration.
const DefaultMute = 10 * time.Minute

// Mute stops user from commenting in room for d (DefaultMute if 0).
func (h *Hub) Mute(ctx context.Context, roomID, user string, d time.Duration) error {
	if d <= 0 {
		d = DefaultMute
	}
	if err := h.opts.Redis.Set(ctx, h.keyMute(roomID, user), "1", d).Err(); err != nil {
		return fmt.Errorf("interaction: mute: %w", err)
	}
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
	h.publishCtl(roomID, ctlMsg{Op: "kick", UserID: user})
	h.log.Info("user banned", "room", roomID, "user", user, "for", d)
	return nil
}

// Unmute lifts a mute.
func (h *Hub) Unmute(ctx context.Context, roomID, user string) error {
	if err := h.opts.Redis.Del(ctx, h.keyMute(roomID, user)).Err(); err != nil {
		return fmt.Errorf("interaction: unmute: %w", err)
	}
	return nil
}

// Unban lifts a ban.
func (h *Hub) Unban(ctx context.Context, roomID, user string) error {
	if err := h.opts.Redis.Del(ctx, h.keyBan(roomID, user)).Err(); err != nil {
		return fmt.Errorf("interaction: unban: %w", err)
	}
	return nil
}

func (h *Hub) isBanned(ctx context.Context, roomID, user string) (bool, error) {
	n, err := h.opts.Redis.Exists(ctx, h.keyBan(roomID, user)).Result()
	if err != nil {
		return false, fmt.Errorf("interaction: ban check: %w", err)
	}
	return n > 0, nil
}

// sanctionOf returns banned or muted (as a protocol code) or "".
func (h *Hub) sanctionOf(ctx context.Context, roomID, user string) (string, error) {
	vals, err := h.opts.Redis.MGet(ctx, h.keyBan(roomID, user), h.keyMute(roomID, user)).Result()
	if err != nil {
		return "", fmt.Errorf("interaction: sanction check: %w", err)
	}
	switch {
	case vals[0] != nil:
		return protocol.CodeBanned, nil
	case vals[1] != nil:
		return protocol.CodeMuted, nil
	}
	return "", nil
}
