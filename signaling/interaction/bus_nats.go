package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// NATSBus is the Bus of several nodes sharing one NATS (see doc.go for the
// subjects). Accepted danmaku are kept by the JetStream stream <NS>_CHAT,
// the last keep per room for 24 hours.
type NATSBus struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	ns   string
	keep int
	log  *slog.Logger
}

// NewNATSBus makes sure the chat stream exists and returns the bus.
func NewNATSBus(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, namespace string, keep int, log *slog.Logger) (*NATSBus, error) {
	if nc == nil || js == nil {
		return nil, errors.New("interaction: the NATS bus needs NATS and JetStream")
	}
	if namespace == "" {
		namespace = "livesell"
	}
	if keep < 1 {
		keep = 1
	}
	if log == nil {
		log = slog.Default()
	}
	b := &NATSBus{nc: nc, js: js, ns: namespace, keep: keep, log: log}
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:              b.stream(),
		Subjects:          []string{namespace + ".room.*.chat.danmaku"},
		MaxMsgsPerSubject: int64(keep),
		MaxAge:            24 * time.Hour,
		MaxMsgSize:        8 << 10,
		Storage:           jetstream.MemoryStorage,
		Discard:           jetstream.DiscardOld,
	})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, fmt.Errorf("interaction: stream %s: %w", b.stream(), err)
	}
	return b, nil
}

func (b *NATSBus) stream() string              { return upper(b.ns) + "_CHAT" }
func (b *NATSBus) subjDanmaku(r string) string { return b.ns + ".room." + r + ".chat.danmaku" }
func (b *NATSBus) subjLikes(r string) string   { return b.ns + ".room." + r + ".chat.likes" }
func (b *NATSBus) subjCtl(r string) string     { return b.ns + ".room." + r + ".chat.ctl" }
func (b *NATSBus) subjWords() string           { return b.ns + ".moderation.words" }

// Publish implements Bus.
func (b *NATSBus) Publish(_ context.Context, ev Event) error {
	var subj string
	var data []byte
	switch ev.Kind {
	case EventDanmaku:
		subj, data = b.subjDanmaku(ev.Room), mustJSON(&ev.Danmaku)
	case EventLikes:
		subj, data = b.subjLikes(ev.Room), strconv.AppendInt(nil, ev.Likes, 10)
	case EventControl:
		subj, data = b.subjCtl(ev.Room), mustJSON(&ev.Control)
	case EventWords:
		subj, data = b.subjWords(), mustJSON(ev.Words)
	default:
		return fmt.Errorf("interaction: unknown event kind %d", ev.Kind)
	}
	if err := b.nc.Publish(subj, data); err != nil {
		return fmt.Errorf("interaction: publish %s: %w", subj, err)
	}
	return nil
}

func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}

// Subscribe implements Bus.
func (b *NATSBus) Subscribe(room string, fn func(Event)) (func(), error) {
	type sub struct {
		subj string
		kind EventKind
	}
	subjects := []sub{{b.subjWords(), EventWords}}
	if room != "" {
		subjects = []sub{{b.subjDanmaku(room), EventDanmaku}, {b.subjLikes(room), EventLikes}, {b.subjCtl(room), EventControl}}
	}
	var subs []*nats.Subscription
	cancel := func() {
		for _, s := range subs {
			s.Unsubscribe()
		}
	}
	for _, s := range subjects {
		kind := s.kind
		ns, err := b.nc.Subscribe(s.subj, func(msg *nats.Msg) {
			if ev, ok := b.decode(kind, room, msg.Data); ok {
				fn(ev)
			}
		})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("interaction: subscribe %s: %w", s.subj, err)
		}
		ns.SetPendingLimits(65536, 64<<20)
		subs = append(subs, ns)
	}
	return cancel, nil
}

func (b *NATSBus) decode(kind EventKind, room string, data []byte) (Event, bool) {
	ev := Event{Kind: kind, Room: room}
	var err error
	switch kind {
	case EventDanmaku:
		if err = json.Unmarshal(data, &ev.Danmaku); err == nil && !protocol.ValidID(ev.Danmaku.ID) {
			err = errors.New("malformed id")
		}
	case EventLikes:
		ev.Likes, err = strconv.ParseInt(string(data), 10, 64)
	case EventControl:
		err = json.Unmarshal(data, &ev.Control)
	case EventWords:
		err = json.Unmarshal(data, &ev.Words)
	}
	if err != nil {
		b.log.Warn("malformed event on the bus", "room", room, "kind", kind, "err", err)
		return ev, false
	}
	return ev, true
}

type storedDanmaku struct {
	seq uint64
	d   protocol.Danmaku
}

// Recent implements Bus.
func (b *NATSBus) Recent(ctx context.Context, room string) ([]protocol.Danmaku, error) {
	msgs, err := b.read(ctx, room)
	out := make([]protocol.Danmaku, len(msgs))
	for i := range msgs {
		out[i] = msgs[i].d
	}
	return out, err
}

// read returns the danmaku the chat stream holds for room, oldest first.
func (b *NATSBus) read(ctx context.Context, room string) ([]storedDanmaku, error) {
	st, err := b.js.Stream(ctx, b.stream())
	if err != nil {
		return nil, err
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject:     b.subjDanmaku(room),
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: 10 * time.Second,
		MemoryStorage:     true,
	})
	if err != nil {
		return nil, err
	}
	defer st.DeleteConsumer(context.WithoutCancel(ctx), cons.CachedInfo().Name)
	n := min(int(cons.CachedInfo().NumPending), b.keep)
	if n == 0 {
		return nil, nil
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

// Forget implements Bus.
func (b *NATSBus) Forget(ctx context.Context, room, id string) error {
	msgs, err := b.read(ctx, room)
	if err != nil {
		return fmt.Errorf("interaction: forget: %w", err)
	}
	st, err := b.js.Stream(ctx, b.stream())
	if err != nil {
		return fmt.Errorf("interaction: forget: %w", err)
	}
	for _, m := range msgs {
		if m.d.ID == id && m.seq > 0 {
			if err := st.DeleteMsg(ctx, m.seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return fmt.Errorf("interaction: forget: %w", err)
			}
		}
	}
	return nil
}

// Close implements Bus; the connection belongs to the caller.
func (b *NATSBus) Close() error { return nil }
