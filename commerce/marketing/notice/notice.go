// Package notice is commerce's side of the room-notice relay: a marketing
// tool (a coupon pushed live, a draw, a red packet, a gift) publishes an
// events.Notice here and the interaction layer of every node shows it to
// the room's members as a protocol "notice" message. It goes through NATS
// JetStream only; commerce never imports the interaction layer.
package notice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
)

// ErrBadNotice means a notice lacks a valid room or kind.
var ErrBadNotice = errors.New("notice: room and kind are required")

// Publisher publishes room notices for one namespace.
type Publisher struct {
	js  jetstream.JetStream
	ns  string
	now func() time.Time
}

// New makes sure the notices stream exists and returns a publisher.
func New(ctx context.Context, js jetstream.JetStream, ns string) (*Publisher, error) {
	_, err := js.CreateStream(ctx, events.NoticesStreamConfig(ns))
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, fmt.Errorf("notice: stream: %w", err)
	}
	return &Publisher{js: js, ns: ns, now: time.Now}, nil
}

// Publish sends n to every member of n.Room on every node. An empty ID is
// filled with a random one and a zero At with now; a republished notice
// (same ID) is shown once. Reliable notices with an Until are also shown to
// members who join before Until.
func (p *Publisher) Publish(ctx context.Context, n events.Notice) (events.Notice, error) {
	if !roomid.Valid(n.Room) || n.Kind == "" {
		return n, ErrBadNotice
	}
	if n.ID == "" {
		n.ID = "n-" + auth.RandomSecret(9)
	}
	if n.At.IsZero() {
		n.At = p.now().UTC()
	}
	b, err := json.Marshal(n)
	if err != nil {
		return n, fmt.Errorf("notice: encode: %w", err)
	}
	if _, err := p.js.Publish(ctx, events.NoticeSubject(p.ns, n.Room), b, jetstream.WithMsgID(n.ID)); err != nil {
		return n, fmt.Errorf("notice: publish %s: %w", n.Kind, err)
	}
	return n, nil
}

// Data encodes v as a notice body (for Notice.Data).
func Data(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
