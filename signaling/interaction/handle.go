package interaction

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// handle processes one inbound message of m. Every refusal is answered with
// an error event; accepted danmaku, pins and moderation actions with an ack.
func (m *member) handle(data []byte) {
	h := m.room.hub
	msg, err := protocol.Decode(data)
	kind := msg.Type
	if err != nil {
		kind = ""
	}
	if ok, perSec := h.limits.allow(kind, m.who.UserID, m.ip, h.now()); !ok {
		h.met.refuse(protocol.CodeRateLimited)
		m.replyError(protocol.CodeRateLimited, "slow down: at most "+strconv.FormatFloat(perSec, 'g', 3, 64)+" "+kindName(kind)+" per second", msg.Ref)
		return
	}
	if err != nil {
		h.met.refuse(protocol.CodeOf(err))
		m.replyError(protocol.CodeOf(err), err.(*protocol.Error).Message, msg.Ref)
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, 3*time.Second)
	defer cancel()
	if err := m.dispatch(ctx, &msg); err != nil {
		code := protocol.CodeOf(err)
		h.met.refuse(code)
		text := "internal error"
		if pe, ok := err.(*protocol.Error); ok {
			text = pe.Message
		} else {
			h.log.Warn("message failed", "room", m.room.id, "user", m.who.UserID, "type", msg.Type, "err", err)
		}
		m.replyError(code, text, msg.Ref)
		return
	}
	h.met.accept(msg.Type)
}

func kindName(kind string) string {
	if kind == "" {
		return "messages"
	}
	return kind + " messages"
}

func (m *member) dispatch(ctx context.Context, msg *protocol.Inbound) error {
	h := m.room.hub
	switch msg.Type {
	case protocol.TypePing:
		m.pushReliable(protocol.AppendPong(nil, msg.Ref))
	case protocol.TypeHello:
		return protocol.Errorf(protocol.CodeInvalidMessage, "hello is only accepted as the first WebSocket message")
	case protocol.TypeDanmaku:
		return m.danmaku(ctx, msg)
	case protocol.TypeLike:
		if code := m.sanction(); code == protocol.CodeBanned {
			return sanctionErr(code)
		}
		m.room.likesDelta.Add(int64(msg.Count))
		h.aud.like(m.room.id, m.who, msg.Count)
	case protocol.TypeClick, protocol.TypeWant:
		kind := events.ActivityClicked
		if msg.Type == protocol.TypeWant {
			kind = events.ActivityWant
		}
		m.room.clicksDelta.Add(1)
		h.feed.activity(m.who, m.room.id, kind, msg.ProductID, h.now())
		h.aud.product(m.room.id, m.who, msg.Type, msg.ProductID, h.now())
	case protocol.TypePin, protocol.TypeDelete, protocol.TypeMute, protocol.TypeBan:
		if !m.anchor && !m.who.Admin {
			return protocol.Errorf(protocol.CodeForbidden, "only the anchor or an admin may %s", msg.Type)
		}
		return m.moderate(ctx, msg)
	}
	return nil
}

func (m *member) sanction() string {
	if m.anchor || m.who.Admin {
		return ""
	}
	return m.room.sanctionOf(m.who.UserID)
}

func sanctionErr(code string) error {
	switch code {
	case protocol.CodeBanned:
		return protocol.Errorf(code, "you are banned from this room")
	case protocol.CodeMuted:
		return protocol.Errorf(code, "you are muted in this room")
	}
	return nil
}

func (m *member) danmaku(ctx context.Context, msg *protocol.Inbound) error {
	h := m.room.hub
	if m.who.Anonymous && !m.anchor && !m.room.anonymousChat() {
		return protocol.Errorf(protocol.CodeLoginRequired, "log in to comment in this room")
	}
	text, err := cleanText(msg.Text, h.opts.Chat.MaxDanmakuRunes)
	if err != nil {
		return err
	}
	if code := m.sanction(); code != "" {
		return sanctionErr(code)
	}
	if !m.anchor && !m.who.Admin {
		if _, blocked := h.filter.Blocked(text); blocked {
			return protocol.Errorf(protocol.CodeBlockedWord, "the message contains a blocked word")
		}
	}
	d := protocol.Danmaku{ID: h.nextID(), User: m.who.UserID, Name: displayName(m.who.Name), Text: text, At: h.now().UnixMilli()}
	if err := h.bus.Publish(ctx, Event{Kind: EventDanmaku, Room: m.room.id, Danmaku: d}); err != nil {
		return err
	}
	m.room.danmakuDelta.Add(1)
	h.aud.danmaku(m.room.id, m.who, &d)
	m.pushReliable(protocol.AppendAck(nil, msg.Ref, d.ID))
	return nil
}

func (m *member) moderate(ctx context.Context, msg *protocol.Inbound) error {
	h := m.room.hub
	var id string
	switch msg.Type {
	case protocol.TypePin:
		text := ""
		if strings.TrimSpace(msg.Text) != "" {
			var err error
			if text, err = cleanText(msg.Text, h.opts.Chat.MaxDanmakuRunes); err != nil {
				return err
			}
		}
		if err := h.mod.Pin(ctx, m.room.id, text); err != nil {
			return err
		}
	case protocol.TypeDelete:
		if err := h.mod.DeleteDanmaku(ctx, m.room.id, msg.MessageID); err != nil {
			return err
		}
		id = msg.MessageID
	case protocol.TypeMute:
		if err := h.mod.Mute(ctx, m.room.id, msg.UserID, time.Duration(msg.Duration)*time.Second); err != nil {
			return err
		}
	case protocol.TypeBan:
		if err := h.mod.Ban(ctx, m.room.id, msg.UserID, time.Duration(msg.Duration)*time.Second); err != nil {
			return err
		}
	}
	m.pushReliable(protocol.AppendAck(nil, msg.Ref, id))
	return nil
}
