package reminder

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/internal/durable"
	"github.com/livesell/livesell/internal/events"
)

// Consume feeds the scheduler from the entitlement and show streams through
// durable consumers shared by every node (each event goes to one node;
// one that is not acknowledged is redelivered, and HandleEntitlement and
// HandleShow apply each event id once). The returned stop waits for the
// running handlers.
func (s *Scheduler) Consume(ctx context.Context, js jetstream.JetStream, ns string) (stop func(), err error) {
	var stops []func() // one per consumer; each waits for its handlers
	stop = func() {
		for _, stopOne := range stops {
			stopOne()
		}
	}
	streams := []struct {
		cfg     jetstream.StreamConfig
		durable string
		handle  func(context.Context, []byte) error
	}{
		{events.EntitlementsStreamConfig(ns), "reminder-entitlements", func(ctx context.Context, b []byte) error {
			var ev events.EntitlementEvent
			if err := json.Unmarshal(b, &ev); err != nil {
				return errUndecodable
			}
			return s.HandleEntitlement(ctx, ev)
		}},
		{events.ShowsStreamConfig(ns), "reminder-shows", func(ctx context.Context, b []byte) error {
			var ev events.ShowEvent
			if err := json.Unmarshal(b, &ev); err != nil {
				return errUndecodable
			}
			return s.HandleShow(ctx, ev)
		}},
	}
	for _, st := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, st.cfg); err != nil {
			stop()
			return nil, fmt.Errorf("reminder: stream %s: %w", st.cfg.Name, err)
		}
		cons, err := js.CreateOrUpdateConsumer(ctx, st.cfg.Name, jetstream.ConsumerConfig{
			Durable:       st.durable,
			AckPolicy:     jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			AckWait:       30 * time.Second,
			MaxAckPending: 256,
		})
		if err != nil {
			stop()
			return nil, fmt.Errorf("reminder: consumer %s: %w", st.durable, err)
		}
		handle, name, consumer := st.handle, st.cfg.Name, st.durable
		stopOne, err := durable.Consume(cons, func(m jetstream.Msg) {
			if ctx.Err() != nil {
				return // redelivered to another node
			}
			switch err := handle(ctx, m.Data()); {
			case err == errUndecodable:
				s.log.Warn("undecodable event dropped", "stream", name, "subject", m.Subject())
				m.Term()
			case err != nil:
				if ctx.Err() == nil {
					delay := redeliveryDelay(m)
					s.log.Warn("event not applied, redelivered", "stream", name, "err", err, "retry_in", delay)
					m.NakWithDelay(delay)
				}
			default:
				m.Ack()
			}
		})
		if err != nil {
			stop()
			return nil, fmt.Errorf("reminder: consume %s: %w", consumer, err)
		}
		stops = append(stops, stopOne)
	}
	return stop, nil
}

var errUndecodable = fmt.Errorf("reminder: undecodable event")

// redeliveryDelay backs off an event that keeps failing: 1 s doubled per
// delivery, at most a minute.
func redeliveryDelay(m jetstream.Msg) time.Duration {
	n := uint64(1)
	if md, err := m.Metadata(); err == nil && md.NumDelivered > 0 {
		n = md.NumDelivered
	}
	d := time.Second
	for i := uint64(1); i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}
