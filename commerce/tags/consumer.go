package tags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/internal/durable"
	"github.com/livesell/livesell/internal/events"
)

// Consumer feeds the tag store from order events (a durable JetStream
// consumer, so none is missed while the node is down) and activity events
// (core NATS).
type Consumer struct {
	store *Store
	nc    *nats.Conn
	js    jetstream.JetStream
	ns    string
	log   *slog.Logger
}

// NewConsumer returns a consumer; Start begins consuming.
func NewConsumer(store *Store, nc *nats.Conn, js jetstream.JetStream, ns string, log *slog.Logger) *Consumer {
	return &Consumer{store: store, nc: nc, js: js, ns: ns, log: log}
}

// Start consumes until ctx is done; the returned stop waits until the
// handlers have returned.
func (c *Consumer) Start(ctx context.Context) (stop func(), err error) {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, events.OrdersStream(c.ns), durable.Config("commerce-tags", events.OrderSubject(c.ns, "*")))
	if err != nil {
		return nil, fmt.Errorf("tags: consumer: %w", err)
	}
	stopOrders, err := durable.Consume(cons, func(m jetstream.Msg) {
		if ctx.Err() != nil {
			return // stopping: the message is redelivered to the next consumer
		}
		var ev events.OrderEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			c.log.Warn("tags: undecodable order event", "err", err)
			m.Term()
			return
		}
		if err := c.store.ApplyOrderEvent(ctx, ev); err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("tags: order event", "order", ev.OrderID, "err", err)
			m.NakWithDelay(time.Second)
			return
		}
		m.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	sub, err := c.nc.Subscribe(events.ActivitySubject(c.ns), func(m *nats.Msg) {
		a, err := ParseActivity(m.Data)
		if err != nil {
			return
		}
		if err := c.store.Add(ctx, a.UserID, a.Kind, a.Room, a.ProductID, a.At); err != nil && ctx.Err() == nil {
			c.log.Warn("tags: activity", "user", a.UserID, "err", err)
		}
	})
	if err != nil {
		stopOrders()
		return nil, fmt.Errorf("tags: subscribe: %w", err)
	}
	return func() {
		sub.Unsubscribe()
		stopOrders()
	}, nil
}

// ParseActivity decodes and checks an activity event from the interaction layer.
func ParseActivity(data []byte) (events.Activity, error) {
	var a events.Activity
	if len(data) > 4096 {
		return a, errors.New("tags: activity too large")
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("tags: activity: %w", err)
	}
	switch {
	case a.UserID == "" || len(a.UserID) > 128 || !utf8.ValidString(a.UserID):
		return a, errors.New("tags: activity without a valid user")
	case a.Kind != Watched && a.Kind != Clicked && a.Kind != Want:
		return a, fmt.Errorf("tags: unknown activity %q", a.Kind)
	case len(a.Room) > 64 || len(a.ProductID) > 64:
		return a, errors.New("tags: activity ids too long")
	}
	if a.At.IsZero() || a.At.After(time.Now().Add(time.Minute)) {
		a.At = time.Now()
	}
	return a, nil
}
