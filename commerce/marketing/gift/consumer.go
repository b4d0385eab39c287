package gift

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
)

// Consume delivers paid gift and top-up orders from the order.paid events
// (a durable JetStream consumer: none is missed while the node is down,
// and a redelivered event is applied once). stop waits for the running
// handler.
func (s *Service) Consume(ctx context.Context, js jetstream.JetStream, ns string) (stop func(), err error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, events.OrdersStream(ns), jetstream.ConsumerConfig{
		Durable:       "marketing-gifts",
		FilterSubject: events.OrderSubject(ns, events.OrderPaid),
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
		AckWait:       30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("gift: consumer: %w", err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stopped bool
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		wg.Add(1)
		mu.Unlock()
		defer wg.Done()
		var ev events.OrderEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			s.log.Warn("gift: undecodable order event", "err", err)
			m.Term()
			return
		}
		if err := s.ApplyOrderEvent(ctx, ev); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("gift: order event", "order", ev.OrderID, "err", err)
			m.NakWithDelay(time.Second)
			return
		}
		m.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("gift: consume: %w", err)
	}
	return func() {
		cc.Stop()
		mu.Lock()
		stopped = true
		mu.Unlock()
		wg.Wait()
	}, nil
}
