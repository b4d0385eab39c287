package interaction

import (
	"context"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// Moderator holds a hub's moderation actions: they change Redis and tell
// every node's running room through the bus.
type Moderator struct{ h *Hub }

// Mute stops user from commenting in room for d (DefaultMute if 0).
func (m *Moderator) Mute(ctx context.Context, roomID, user string, d time.Duration) error {
	if d <= 0 {
		d = DefaultMute
	}
	if err := m.h.store.setSanction(ctx, roomID, user, false, d); err != nil {
		return err
	}
	m.announceSanction(ctx, roomID, user, "mute", d)
	m.h.log.Info("user muted", "room", roomID, "user", user, "for", d)
	return nil
}

// Ban removes user from room and keeps them out for d (0: until lifted).
func (m *Moderator) Ban(ctx context.Context, roomID, user string, d time.Duration) error {
	d = max(d, 0)
	if err := m.h.store.setSanction(ctx, roomID, user, true, d); err != nil {
		return err
	}
	m.announceSanction(ctx, roomID, user, "ban", d)
	m.publishCtl(ctx, roomID, Control{Op: "kick", UserID: user})
	m.h.log.Info("user banned", "room", roomID, "user", user, "for", d)
	return nil
}

// Unmute lifts a mute.
func (m *Moderator) Unmute(ctx context.Context, roomID, user string) error {
	if err := m.h.store.liftSanction(ctx, roomID, user, false); err != nil {
		return err
	}
	m.announceSanction(ctx, roomID, user, "unmute", 0)
	return nil
}

// Unban lifts a ban.
func (m *Moderator) Unban(ctx context.Context, roomID, user string) error {
	if err := m.h.store.liftSanction(ctx, roomID, user, true); err != nil {
		return err
	}
	m.announceSanction(ctx, roomID, user, "unban", 0)
	return nil
}

// announceSanction applies a change to this node's room at once and tells
// the other nodes.
func (m *Moderator) announceSanction(ctx context.Context, roomID, user, kind string, d time.Duration) {
	c := Control{Op: "sanction", UserID: user, State: kind}
	if d > 0 {
		c.At = m.h.now().Add(d).UnixMilli()
	}
	if r := m.h.room(roomID); r != nil {
		r.applySanction(c)
	}
	m.publishCtl(ctx, roomID, c)
}

func (m *Moderator) publishCtl(ctx context.Context, roomID string, c Control) {
	if err := m.h.bus.Publish(ctx, Event{Kind: EventControl, Room: roomID, Control: c}); err != nil {
		m.h.log.Warn("control event not published", "room", roomID, "op", c.Op, "err", err)
	}
}

// DeleteDanmaku removes a danmaku everywhere: from every viewer's screen
// (a delete event on every node) and from the room's recent list.
func (m *Moderator) DeleteDanmaku(ctx context.Context, roomID, id string) error {
	if !roomid.Valid(roomID) {
		return ErrBadRoom
	}
	if !protocol.ValidID(id) {
		return protocol.Errorf(protocol.CodeInvalidMessage, "malformed message id")
	}
	m.publishCtl(ctx, roomID, Control{Op: "delete", MessageID: id})
	if err := m.h.bus.Forget(ctx, roomID, id); err != nil {
		return fmt.Errorf("interaction: delete: %w", err)
	}
	m.h.aud.deleted(roomID, id, m.h.now())
	m.h.log.Info("danmaku deleted", "room", roomID, "message", id)
	return nil
}

// Pin sets (or, with empty text, clears) the room's pinned announcement.
func (m *Moderator) Pin(ctx context.Context, roomID, text string) error {
	if !roomid.Valid(roomID) {
		return ErrBadRoom
	}
	at := m.h.now().UnixMilli()
	if text == "" {
		at = 0
	}
	if err := m.h.store.setPinned(ctx, roomID, text, at); err != nil {
		return fmt.Errorf("interaction: pin: %w", err)
	}
	m.publishCtl(ctx, roomID, Control{Op: "pinned", Text: text, At: at})
	return nil
}

// Words is the blocked-word list.
func (m *Moderator) Words() []string { return m.h.filter.Words() }

// SetWords replaces the blocked-word list on every node.
func (m *Moderator) SetWords(ctx context.Context, words []string) error {
	if err := m.h.filter.Set(words); err != nil {
		return err
	}
	words = m.h.filter.Words()
	if err := m.h.store.setWords(ctx, words); err != nil {
		return err
	}
	if err := m.h.bus.Publish(ctx, Event{Kind: EventWords, Words: words}); err != nil {
		return fmt.Errorf("interaction: announce blocked words: %w", err)
	}
	m.h.log.Info("blocked words replaced", "count", len(words))
	return nil
}

// loadWords applies the list stored in Redis (set at runtime through the
// API) or, when there is none, the configured words.
func (m *Moderator) loadWords(ctx context.Context, fallback []string) error {
	words, ok, err := m.h.store.words(ctx)
	if err != nil {
		return err
	}
	if !ok {
		words = fallback
	}
	return m.h.filter.Set(words)
}

func (m *Moderator) onWords(ev Event) {
	if ev.Kind != EventWords {
		return
	}
	if err := m.h.filter.Set(ev.Words); err != nil {
		m.h.log.Warn("blocked-word list refused", "err", err)
	}
}
