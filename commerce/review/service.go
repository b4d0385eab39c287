// Package review is the after-show review (复盘): it keeps, in SQL, the
// events that already flow — the audience's (events.AudienceFeed: joins
// and leaves, danmaku, likes, clicks, add-to-cart, room states), the
// product cards (core NATS on the cards subject) and the order events (a
// durable JetStream consumer) — and computes from them each show's report,
// live while the show runs and final after it, its chapters (one per
// product card shown) and its chat for replay. When a show ends the final
// report is posted to a webhook signed with HMAC-SHA256.
package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
)

// Options configure a Service.
type Options struct {
	Store     *Store
	NATS      *nats.Conn
	JetStream jetstream.JetStream
	Namespace string
	Audience  events.AudienceFeed
	// After is the N of "sales in the N minutes after an explanation"
	// (default 5 minutes).
	After time.Duration
	// WebhookURL receives each show's final report (empty: none), signed
	// with WebhookSecret.
	WebhookURL    string
	WebhookSecret []byte
	HTTPClient    *http.Client
	// Now is the clock (nil: time.Now); it ends a running show's report.
	Now func() time.Time
	Log *slog.Logger
}

// Service keeps the events and computes the reports.
type Service struct {
	opts Options
	log  *slog.Logger

	in     chan item
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stops  []func()

	mu      sync.Mutex
	dropped int
}

// item is one event for the writer: an audience event or a card.
type item struct {
	aud  *events.AudienceEvent
	card *events.ProductCard
}

// queueLength bounds the events waiting for the writer.
const queueLength = 1 << 16

// New returns a service; Start begins consuming.
func New(opts Options) *Service {
	if opts.After <= 0 {
		opts.After = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Service{opts: opts, log: opts.Log.With("component", "review"), in: make(chan item, queueLength)}
}

// Store is the service's store.
func (s *Service) Store() *Store { return s.opts.Store }

// Start subscribes to the audience, the cards and the orders; Close stops.
func (s *Service) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	cancelAud, err := s.opts.Audience.Subscribe("*", func(ev events.AudienceEvent) {
		if roomid.Valid(ev.Room) {
			s.push(item{aud: &ev})
		}
	})
	if err != nil {
		return err
	}
	s.stops = append(s.stops, cancelAud)
	sub, err := s.opts.NATS.Subscribe(events.CardSubject(s.opts.Namespace, "*"), func(m *nats.Msg) {
		c, err := ParseCard(m.Data)
		if err != nil || events.CardSubject(s.opts.Namespace, c.Room) != m.Subject {
			return
		}
		if c.At.IsZero() {
			c.At = s.opts.Now().UTC()
		}
		s.push(item{card: &c})
	})
	if err != nil {
		s.Close()
		return fmt.Errorf("review: subscribe cards: %w", err)
	}
	sub.SetPendingLimits(1<<20, 256<<20)
	s.stops = append(s.stops, func() { sub.Unsubscribe() })
	if err := s.consumeOrders(ctx); err != nil {
		s.Close()
		return err
	}
	s.wg.Add(1)
	go s.writeLoop()
	return nil
}

// Close stops consuming and waits for the writer.
func (s *Service) Close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// Record keeps audience events reported by the replay page (Replay set).
func (s *Service) Record(ev events.AudienceEvent) { s.push(item{aud: &ev}) }

func (s *Service) push(it item) {
	select {
	case s.in <- it:
	default:
		s.mu.Lock()
		s.dropped++
		s.mu.Unlock()
	}
}

// writeLoop writes events in batches, in their order; a room state ending
// a show writes what came before it, then finishes the show.
func (s *Service) writeLoop() {
	defer s.wg.Done()
	var batch []events.AudienceEvent
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := s.opts.Store.addAudience(s.ctx, batch); err != nil && s.ctx.Err() == nil {
			s.log.Warn("audience events not kept", "count", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		var it item
		select {
		case <-s.ctx.Done():
			return
		case it = <-s.in:
		}
	drain:
		for {
			switch {
			case it.card != nil:
				flush()
				if err := s.opts.Store.addCard(s.ctx, *it.card); err != nil && s.ctx.Err() == nil {
					s.log.Warn("card not kept", "room", it.card.Room, "err", err)
				}
			case it.aud.Kind == events.AudienceState:
				flush()
				s.onState(*it.aud)
			default:
				batch = append(batch, *it.aud)
			}
			if len(batch) >= 512 {
				flush()
			}
			select {
			case it = <-s.in:
			default:
				break drain
			}
		}
		flush()
	}
}

func (s *Service) onState(ev events.AudienceEvent) {
	ended, err := s.opts.Store.state(s.ctx, ev.Room, ev.Text, ev.At)
	if err != nil {
		s.log.Warn("show state not kept", "room", ev.Room, "state", ev.Text, "err", err)
		return
	}
	if ended != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.finish(s.ctx, *ended)
		}()
	}
}

// consumeOrders keeps every order event of a room (a durable consumer: none
// is missed while the node is down).
func (s *Service) consumeOrders(ctx context.Context) error {
	st := events.OrdersStreamConfig(s.opts.Namespace)
	if _, err := s.opts.JetStream.CreateStream(ctx, st); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("review: orders stream: %w", err)
	}
	cons, err := s.opts.JetStream.CreateOrUpdateConsumer(ctx, st.Name, jetstream.ConsumerConfig{
		Durable:       "review",
		FilterSubject: events.OrderSubject(s.opts.Namespace, "*"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
		AckWait:       30 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("review: orders consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		ev, err := ParseOrderEvent(m.Data())
		if err != nil {
			m.Term()
			return
		}
		if ev.Room == "" {
			m.Ack() // not sold in a room
			return
		}
		if err := s.opts.Store.addOrder(s.ctx, ev); err != nil {
			if s.ctx.Err() == nil {
				s.log.Warn("order event not kept", "order", ev.OrderID, "err", err)
				m.NakWithDelay(time.Second)
			}
			return
		}
		m.Ack()
	})
	if err != nil {
		return fmt.Errorf("review: consume orders: %w", err)
	}
	s.stops = append(s.stops, cc.Stop)
	return nil
}

// Report computes the report of show id: live while it runs, final after.
func (s *Service) Report(ctx context.Context, id string) (Report, error) {
	sh, err := s.opts.Store.Show(ctx, id)
	if err != nil {
		return Report{}, err
	}
	return s.report(ctx, sh)
}

func (s *Service) report(ctx context.Context, sh Show) (Report, error) {
	in, err := s.opts.Store.load(ctx, sh, s.opts.Now())
	if err != nil {
		return Report{}, err
	}
	return compute(in, s.opts.After), nil
}

// finish keeps the final report of an ended show and posts it to the webhook.
func (s *Service) finish(ctx context.Context, sh Show) {
	r, err := s.report(ctx, sh)
	if err != nil {
		s.log.Warn("final report not computed", "room", sh.Room, "show", sh.ID, "err", err)
		return
	}
	body, _ := json.Marshal(r)
	if err := s.opts.Store.saveReport(ctx, sh.ID, body); err != nil {
		s.log.Warn("final report not kept", "show", sh.ID, "err", err)
	}
	if s.opts.WebhookURL == "" {
		return
	}
	if err := s.deliver(ctx, body); err != nil {
		s.log.Warn("report webhook failed", "show", sh.ID, "err", err)
		return
	}
	if err := s.opts.Store.markWebhook(ctx, sh.ID, s.opts.Now()); err != nil {
		s.log.Warn("report webhook not marked", "show", sh.ID, "err", err)
	}
	s.log.Info("report webhook delivered", "room", sh.Room, "show", sh.ID)
}
