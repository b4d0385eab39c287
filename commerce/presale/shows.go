package presale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
)

// ShowsStreamConfig is the show events stream as the presale creates it
// when it starts first (whoever publishes show events uses the same name
// and subjects).
func ShowsStreamConfig(ns string) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:     events.ShowsStream(ns),
		Subjects: []string{events.ShowSubject(ns, "*")},
		Storage:  jetstream.FileStorage,
		MaxAge:   30 * 24 * time.Hour,
	}
}

// ConsumeShows handles show events with one durable consumer shared by
// every node (each event is handled by one node, redelivered on failure):
// a cancelled show refunds every ticket; a rescheduled one moves the
// offer's start. It returns a stop function.
func (s *Maintenance) ConsumeShows(ctx context.Context, js jetstream.JetStream, ns string) (func(), error) {
	if _, err := js.CreateStream(ctx, ShowsStreamConfig(ns)); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return nil, fmt.Errorf("presale: shows stream: %w", err)
	}
	c, err := js.CreateOrUpdateConsumer(ctx, events.ShowsStream(ns), jetstream.ConsumerConfig{
		Durable: "presale-shows", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute, MaxDeliver: 20,
		FilterSubject: events.ShowSubject(ns, "*"),
	})
	if err != nil {
		return nil, fmt.Errorf("presale: shows consumer: %w", err)
	}
	cc, err := c.Consume(func(m jetstream.Msg) {
		var ev events.ShowEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			s.log.Warn("bad show event", "err", err)
			m.Term()
			return
		}
		if err := s.onShow(context.WithoutCancel(ctx), ev); err != nil {
			s.log.Warn("show event", "room", ev.Room, "type", ev.Type, "err", err)
			m.NakWithDelay(5 * time.Second)
			return
		}
		m.Ack()
	})
	if err != nil {
		return nil, fmt.Errorf("presale: shows consumer: %w", err)
	}
	return cc.Stop, nil
}

func (s *Maintenance) onShow(ctx context.Context, ev events.ShowEvent) error {
	off, err := s.store.Offer(ctx, ev.Room)
	if errors.Is(err, ErrNotFound) {
		return nil // the show sells no tickets
	}
	if err != nil {
		return err
	}
	switch ev.Type {
	case events.ShowCancelled:
		n, err := s.sales.CancelShow(ctx, ev.Room)
		s.log.Info("show cancelled: tickets refunded", "room", ev.Room, "tickets", n)
		return err
	case events.ShowRescheduled:
		if ev.StartsAt.IsZero() || ev.StartsAt.Equal(off.StartsAt) {
			return nil
		}
		off.StartsAt = ev.StartsAt
		if err := s.store.PutOffer(ctx, off, s.now()); err != nil {
			return err
		}
		s.offers.drop(ev.Room)
	}
	return nil
}
