package gift

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/internal/durable"
	"github.com/livesell/livesell/internal/events"
)

// Consume delivers paid gift and top-up orders from the order.paid events
// (a durable JetStream consumer: none is missed while the node is down,
// and a redelivered event is applied once). stop waits for the running
// handler.
func (s *Service) Consume(ctx context.Context, js jetstream.JetStream, ns string) (stop func(), err error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, events.OrdersStream(ns), durable.Config("marketing-gifts", events.OrderSubject(ns, events.OrderPaid)))
	if err != nil {
		return nil, fmt.Errorf("gift: consumer: %w", err)
	}
	stop, err = durable.Consume(cons, func(m jetstream.Msg) {
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
		return nil, fmt.Errorf("gift: %w", err)
	}
	return stop, nil
}
