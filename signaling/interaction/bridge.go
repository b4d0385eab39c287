package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

func cardSubject(ns, roomID string) string { return events.CardSubject(ns, roomID) }

// ensureStreams creates the streams this layer reads if they are absent.
// The cards and orders streams belong to commerce; an existing stream is
// left as it is, so the order in which nodes and capabilities start does
// not matter.
func (h *Hub) ensureStreams(ctx context.Context) error {
	for _, cfg := range []jetstream.StreamConfig{
		{
			Name:              h.chatStream(),
			Subjects:          []string{h.ns + ".room.*.chat.danmaku"},
			MaxMsgsPerSubject: int64(h.opts.Chat.RecentDanmaku),
			MaxAge:            24 * time.Hour,
			MaxMsgSize:        8 << 10,
			Storage:           jetstream.MemoryStorage,
			Discard:           jetstream.DiscardOld,
		},
		events.CardsStreamConfig(h.ns),
		events.OrdersStreamConfig(h.ns),
	} {
		_, err := h.opts.JetStream.CreateStream(ctx, cfg)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("interaction: stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

func (h *Hub) publishCtl(roomID string, c ctlMsg) {
	b, _ := json.Marshal(c)
	if err := h.opts.NATS.Publish(h.subjCtl(roomID), b); err != nil {
		h.log.Warn("control event not published", "room", roomID, "op", c.Op, "err", err)
	}
}

// subscribeNode subscribes to the subjects every node handles once: paid
// orders (the ticker) and blocked-word changes.
func (h *Hub) subscribeNode() error {
	sub, err := h.opts.NATS.Subscribe(events.OrderSubject(h.ns, events.OrderPaid), h.onOrderPaid)
	if err != nil {
		return fmt.Errorf("interaction: subscribe orders: %w", err)
	}
	h.subs = append(h.subs, sub)
	sub, err = h.opts.NATS.Subscribe(h.subjWords(), h.onWords)
	if err != nil {
		return fmt.Errorf("interaction: subscribe words: %w", err)
	}
	h.subs = append(h.subs, sub)
	return nil
}

// onOrderPaid turns a paid order into a ticker event in its room, without
// personal data: title, city, quantity.
func (h *Hub) onOrderPaid(msg *nats.Msg) {
	var ev events.OrderEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.Type != events.OrderPaid || !protocol.ValidRoom(ev.Room) {
		return
	}
	if ev.ID != "" && h.seenTicker(ev.ID) {
		return
	}
	r := h.room(ev.Room)
	if r == nil {
		return
	}
	q := ev.Quantity
	if q < 1 {
		q = 1
	}
	frame := protocol.AppendTicker(nil, protocol.Ticker{ProductTitle: truncateRunes(ev.ProductTitle, 80), City: truncateRunes(ev.City, 40), Quantity: q})
	r.broadcast(frame)
}

func (h *Hub) seenTicker(id string) bool {
	h.tickerMu.Lock()
	defer h.tickerMu.Unlock()
	for _, s := range h.seenPaid {
		if s == id {
			return true
		}
	}
	if len(h.seenPaid) >= 256 {
		h.seenPaid = h.seenPaid[1:]
	}
	h.seenPaid = append(h.seenPaid, id)
	return false
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// loadCard reads the room's current card from the cards stream.
func (h *Hub) loadCard(ctx context.Context, r *Room) {
	st, err := h.opts.JetStream.Stream(ctx, events.CardsStream(h.ns))
	if err != nil {
		h.log.Warn("cards stream not readable", "room", r.id, "err", err)
		return
	}
	msg, err := st.GetLastMsgForSubject(ctx, cardSubject(h.ns, r.id))
	if err != nil {
		if !errors.Is(err, jetstream.ErrMsgNotFound) {
			h.log.Warn("current card not read", "room", r.id, "err", err)
		}
		return
	}
	r.setCard(msg.Data, false)
}

func (r *Room) onCard(msg *nats.Msg) { r.setCard(msg.Data, true) }

// setCard keeps a newer card and, when broadcast, sends it to every member.
func (r *Room) setCard(data []byte, broadcast bool) {
	var c events.ProductCard
	if err := json.Unmarshal(data, &c); err != nil || (c.Room != "" && c.Room != r.id) {
		r.hub.log.Warn("malformed product card", "room", r.id)
		return
	}
	c.Room = r.id
	clean, _ := json.Marshal(c)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.card != nil && c.Version <= r.cardVer {
		return
	}
	r.card, r.cardVer, r.cardOn = clean, c.Version, c.Shown
	if broadcast {
		r.broadcast(protocol.AppendCard(nil, clean))
	}
}

// loadRecent reads the room's last danmaku from the chat stream.
func (h *Hub) loadRecent(ctx context.Context, r *Room) {
	msgs, err := h.readRecent(ctx, r.id)
	if err != nil {
		h.log.Warn("recent danmaku not read", "room", r.id, "err", err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Messages that arrived live meanwhile are newer: rebuild in order.
	live := r.recent
	r.recent = newRing(h.opts.Chat.RecentDanmaku)
	for i := range msgs {
		r.recent.add(&msgs[i].d)
	}
	live.each(func(id string, data []byte) {
		if !r.recent.has(id) {
			var d protocol.Danmaku
			if json.Unmarshal(data, &d) == nil {
				r.recent.add(&d)
			}
		}
	})
}

type storedDanmaku struct {
	seq uint64
	d   protocol.Danmaku
}

// readRecent returns the danmaku the chat stream holds for room, oldest first.
func (h *Hub) readRecent(ctx context.Context, roomID string) ([]storedDanmaku, error) {
	st, err := h.opts.JetStream.Stream(ctx, h.chatStream())
	if err != nil {
		return nil, err
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject:     h.subjDanmaku(roomID),
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: 10 * time.Second,
		MemoryStorage:     true,
	})
	if err != nil {
		return nil, err
	}
	defer st.DeleteConsumer(context.Background(), cons.CachedInfo().Name)
	n := int(cons.CachedInfo().NumPending)
	if n == 0 {
		return nil, nil
	}
	if n > h.opts.Chat.RecentDanmaku {
		n = h.opts.Chat.RecentDanmaku
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		return nil, err
	}
	var out []storedDanmaku
	for msg := range batch.Messages() {
		var s storedDanmaku
		if json.Unmarshal(msg.Data(), &s.d) != nil {
			continue
		}
		if md, err := msg.Metadata(); err == nil {
			s.seq = md.Sequence.Stream
		}
		out = append(out, s)
	}
	return out, batch.Error()
}

// DeleteDanmaku removes a danmaku everywhere: from every viewer's screen
// (a delete event on every node), from the recent list and from the stream.
func (h *Hub) DeleteDanmaku(ctx context.Context, roomID, id string) error {
	if !protocol.ValidRoom(roomID) {
		return ErrBadRoom
	}
	if !protocol.ValidID(id) {
		return protocol.Errorf(protocol.CodeBadMessage, "malformed message id")
	}
	h.publishCtl(roomID, ctlMsg{Op: "delete", MessageID: id})
	msgs, err := h.readRecent(ctx, roomID)
	if err != nil {
		return fmt.Errorf("interaction: delete: %w", err)
	}
	st, err := h.opts.JetStream.Stream(ctx, h.chatStream())
	if err != nil {
		return fmt.Errorf("interaction: delete: %w", err)
	}
	for _, m := range msgs {
		if m.d.ID == id && m.seq > 0 {
			if err := st.DeleteMsg(ctx, m.seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return fmt.Errorf("interaction: delete: %w", err)
			}
		}
	}
	h.log.Info("danmaku deleted", "room", roomID, "message", id)
	return nil
}

// Pin sets (or, with empty text, clears) the room's pinned announcement.
func (h *Hub) Pin(ctx context.Context, roomID, text string) error {
	if !protocol.ValidRoom(roomID) {
		return ErrBadRoom
	}
	at := time.Now().UnixMilli()
	if text == "" {
		at = 0
	}
	if err := h.opts.Redis.HSet(ctx, h.keyMeta(roomID), "pinned", text, "pinned_at", strconv.FormatInt(at, 10)).Err(); err != nil {
		return fmt.Errorf("interaction: pin: %w", err)
	}
	h.publishCtl(roomID, ctlMsg{Op: "pinned", Text: text, At: at})
	return nil
}
