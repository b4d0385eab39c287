package coupon

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/internal/durable"
	"github.com/livesell/livesell/internal/events"
)

// Consume follows the order events (JetStream durable consumer
// "marketing-coupons"): a cancelled or expired order returns its coupons,
// a refunded one follows each coupon's refund rule, and a paid order of a
// product issues that product's return coupons to the buyer — each once
// per event id. stop waits for the handler in flight.
func (s *Service) Consume(ctx context.Context, js jetstream.JetStream) (stop func(), err error) {
	if _, err := js.CreateStream(ctx, events.OrdersStreamConfig(s.o.NS)); err != nil && err != jetstream.ErrStreamNameAlreadyInUse {
		return nil, fmt.Errorf("coupon: orders stream: %w", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, events.OrdersStream(s.o.NS), durable.Config("marketing-coupons", events.OrderSubject(s.o.NS, "*")))
	if err != nil {
		return nil, fmt.Errorf("coupon: consumer: %w", err)
	}
	stop, err = durable.Consume(cons, func(m jetstream.Msg) {
		if ctx.Err() != nil {
			return
		}
		var ev events.OrderEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil || ev.ID == "" {
			m.Term()
			return
		}
		if err := s.OnOrderEvent(ctx, ev); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("order event not applied to coupons", "order", ev.OrderID, "type", ev.Type, "err", err)
				m.NakWithDelay(time.Second)
			}
			return
		}
		m.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("coupon: %w", err)
	}
	return stop, nil
}

// OnOrderEvent applies one order event to coupons, once per event id.
func (s *Service) OnOrderEvent(ctx context.Context, ev events.OrderEvent) error {
	switch ev.Type {
	case events.OrderCancelled, events.OrderExpired, events.OrderRefunded, events.OrderPaid:
	default:
		return nil
	}
	var err error
	switch ev.Type {
	case events.OrderCancelled, events.OrderExpired:
		_, err = s.Return(ctx, ev.OrderID, ev.Type)
	case events.OrderRefunded:
		_, err = s.Refunded(ctx, ev.OrderID)
	case events.OrderPaid:
		err = s.issueFor(ctx, ev)
	}
	if err != nil {
		return err
	}
	// Returns are idempotent by state and issues by claim id; the record
	// makes a replayed event a no-op that says so in the audit trail.
	_, err = s.store.once(ctx, ev.ID, s.o.Now())
	return err
}

// issueFor gives the buyer of a paid order one of each template issued on
// its product; the claim id derives from the event id, so a redelivered
// event issues nothing more.
func (s *Service) issueFor(ctx context.Context, ev events.OrderEvent) error {
	if ev.ProductID == "" || ev.UserID == "" {
		return nil
	}
	ts, err := s.store.templates(ctx, "issue_on_paid = $1", ev.ProductID)
	if err != nil {
		return err
	}
	now := s.o.Now()
	for i := range ts {
		t := &ts[i]
		if !now.Before(t.EndsAt) {
			continue
		}
		if err := s.ensureLoaded(ctx, t); err != nil {
			return err
		}
		id := claimID(t.ID, ev.UserID, "evt:"+ev.ID)
		code, _, err := s.claims.claim(ctx, t, ev.UserID, id, "", Rates{}, now)
		if err != nil {
			return err
		}
		if code != claimDone && code != claimAlready {
			s.log.Info("return coupon not issued", "coupon", t.ID, "order", ev.OrderID, "code", int(code))
			continue
		}
		c := Claim{ID: id, TemplateID: t.ID, UserID: ev.UserID, Status: StatusClaimed, OrderID: ev.OrderID, ClaimedAt: now.UTC().Truncate(time.Millisecond)}
		if err := s.store.insertClaim(ctx, c, t.Room, "issue:"+ev.ID, ""); err != nil {
			return err
		}
	}
	return nil
}
