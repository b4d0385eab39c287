package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// Room notices (events.Notice) are published by other capabilities on
// events.NoticeSubject and kept in the events.NoticesStream. Every node
// subscribes once for all rooms and relays a notice to the room's local
// members as a protocol "notice" message. A reliable notice is queued as a
// reliable frame (never dropped by a slow member's queue) and kept, while
// current, for members who join later; a best-effort one waits for the
// room's next batch tick and is skipped for a member whose queue is backed up.

// maxPendingNotices bounds the best-effort notices waiting for one tick.
const maxPendingNotices = 64

// noticeBox is a room's notices, guarded by the room's mu.
type noticeBox struct {
	kept    []keptNotice // current reliable notices, oldest first
	pending [][]byte     // best-effort notices for the next tick
	dropped int          // best-effort notices not queued, for the metric
}

type keptNotice struct {
	id    string
	until time.Time
	frame []byte
}

// subscribeNotices makes sure the notices stream exists and relays every
// room's notices to the rooms running on this node (h.room finds them).
func subscribeNotices(ctx context.Context, h *Hub) (*nats.Subscription, error) {
	_, err := h.opts.JetStream.CreateStream(ctx, events.NoticesStreamConfig(h.opts.Namespace))
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, fmt.Errorf("interaction: notices stream: %w", err)
	}
	sub, err := h.opts.NATS.Subscribe(events.NoticeSubject(h.opts.Namespace, "*"), func(msg *nats.Msg) {
		n, ok := parseNotice(h.opts.Namespace, msg.Subject, msg.Data)
		if !ok {
			h.log.Warn("malformed room notice", "subject", msg.Subject)
			return
		}
		if r := h.room(n.Room); r != nil {
			r.onNotice(&n)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("interaction: subscribe notices: %w", err)
	}
	sub.SetPendingLimits(65536, 64<<20)
	return sub, nil
}

// parseNotice decodes and checks a notice published on subject.
func parseNotice(ns, subject string, data []byte) (events.Notice, bool) {
	var n events.Notice
	if err := json.Unmarshal(data, &n); err != nil {
		return n, false
	}
	room := strings.TrimSuffix(strings.TrimPrefix(subject, ns+".room."), ".notice")
	if n.Room == "" {
		n.Room = room
	}
	if n.Room != room || !roomid.Valid(n.Room) || !protocol.ValidID(n.ID) ||
		n.Kind == "" || len(n.Kind) > protocol.MaxNoticeKind || len(n.Data) > protocol.MaxNoticeData ||
		(len(n.Data) > 0 && !json.Valid(n.Data)) {
		return n, false
	}
	return n, true
}

func noticeFrame(n *events.Notice) []byte {
	p := protocol.Notice{ID: n.ID, Kind: n.Kind, Data: n.Data, Reliable: n.Reliable, At: n.At}
	if n.Until != nil {
		p.Until = *n.Until
	}
	return protocol.AppendNotice(nil, &p)
}

// onNotice relays n to the room's members.
func (r *Room) onNotice(n *events.Notice) {
	frame := noticeFrame(n)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !n.Reliable {
		if len(r.notices.pending) >= maxPendingNotices {
			r.notices.dropped++
			return
		}
		r.notices.pending = append(r.notices.pending, frame)
		return
	}
	if !r.notices.keep(n, frame, r.hub.now()) {
		return // already relayed (the stream and the live subscription overlap)
	}
	r.broadcast(frame)
}

// keep keeps a current reliable notice for later joiners; it reports
// false for one already seen. Callers hold the room's mu.
func (b *noticeBox) keep(n *events.Notice, frame []byte, now time.Time) bool {
	kept := b.kept[:0]
	seen := false
	for _, k := range b.kept {
		if k.id == n.ID {
			seen = true
		}
		if k.until.After(now) {
			kept = append(kept, k)
		}
	}
	b.kept = kept
	if seen {
		return false
	}
	if n.Until != nil && n.Until.After(now) {
		if len(b.kept) >= events.MaxKeptNotices {
			b.kept = append(b.kept[:0], b.kept[1:]...)
		}
		b.kept = append(b.kept, keptNotice{id: n.ID, until: *n.Until, frame: frame})
	}
	return true
}

// replay queues the current reliable notices to a joining member, right
// after its welcome. Callers hold the room's mu.
func (b *noticeBox) replay(m *member, now time.Time) {
	for _, k := range b.kept {
		if k.until.After(now) {
			m.pushReliable(k.frame)
		}
	}
}

// flushNotices sends the best-effort notices of r's tick to every member
// whose queue is not backed up.
func flushNotices(r *Room) {
	r.mu.Lock()
	pending := r.notices.pending
	r.notices.pending = nil
	r.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	skipped := 0
	for _, m := range *r.members.Load() {
		for _, f := range pending {
			if m.out.Len() >= maxFrames/2 {
				skipped++
				continue
			}
			m.pushReliable(f)
		}
	}
	if skipped > 0 {
		r.mu.Lock()
		r.notices.dropped += skipped
		r.mu.Unlock()
	}
}

// loadNotices reads r's kept notices from the stream (those published
// before this node ran the room) and keeps the current ones.
func loadNotices(ctx context.Context, r *Room) {
	h := r.hub
	c, err := h.opts.JetStream.OrderedConsumer(ctx, events.NoticesStream(h.opts.Namespace), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.NoticeSubject(h.opts.Namespace, r.id)},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		h.log.Warn("room notices not read", "room", r.id, "err", err)
		return
	}
	batch, err := c.FetchNoWait(events.MaxKeptNotices)
	if err != nil {
		h.log.Warn("room notices not read", "room", r.id, "err", err)
		return
	}
	for msg := range batch.Messages() {
		n, ok := parseNotice(h.opts.Namespace, msg.Subject(), msg.Data())
		if !ok || !n.Reliable {
			continue
		}
		r.mu.Lock()
		r.notices.keep(&n, noticeFrame(&n), h.now())
		r.mu.Unlock()
	}
}
