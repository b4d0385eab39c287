package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/room"
)

// mountReminders starts the reminder scheduler: its consumers of the
// entitlement and show streams, and, when a notifier is configured, the
// loop that sends due reminders. With no notifier it only plans, so the
// reminders still ahead go out once one is configured. It mounts the
// contacts API the shop's backend fills.
func (s *Server) mountReminders(ctx context.Context, r fiber.Router) error {
	db := s.back.SQL
	if err := notify.Migrate(ctx, db); err != nil {
		return err
	}
	if err := reminder.Migrate(ctx, db); err != nil {
		return err
	}
	contacts := notify.NewContacts(db)
	contacts.Mount(r, s.auth.Require(auth.Admin))
	notifiers, err := buildNotifiers(s.cfg.Notify)
	if err != nil {
		return fmt.Errorf("server: config: %w", err)
	}
	log := s.log.With("component", "reminder")
	sched, err := reminder.New(reminder.Options{
		DB: db, Notifiers: notifiers, Contacts: contacts, Shows: roomShows{s.rooms},
		Before: s.cfg.Notify.ReminderBefore, Poll: s.cfg.Notify.ReminderPoll, Lease: s.cfg.Notify.ReminderLease,
		Logger: log, Metrics: s.metrics,
	})
	if err != nil {
		return err
	}
	s.reminders = sched
	stopConsume, err := sched.Consume(ctx, s.back.JetStream, s.cfg.Store.Namespace)
	if err != nil {
		return err
	}
	s.addCloser(func(context.Context) error { stopConsume(); return nil })
	if len(notifiers) == 0 {
		log.Info("no notifier configured (notify-webhook-url, notify-smtp-addr, notify-wechat-appid): reminders are planned, not sent")
		return nil
	}
	names := make([]string, len(notifiers))
	for i, n := range notifiers {
		names[i] = n.Name()
	}
	log.Info("reminders on", "channels", names, "before", s.cfg.Notify.ReminderBefore)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); sched.Run(runCtx) }()
	s.addCloser(func(context.Context) error { cancel(); <-done; return nil })
	return nil
}

// buildNotifiers makes the notifiers whose address is configured; no
// secret goes into an error or a log line.
func buildNotifiers(c config.NotifyConfig) ([]notify.Notifier, error) {
	var out []notify.Notifier
	if c.WebhookURL != "" {
		w, err := notify.NewWebhook(notify.WebhookOptions{URL: c.WebhookURL, Secret: []byte(c.WebhookSecret), Timeout: c.WebhookTimeout,
			Attempts: c.WebhookAttempts, MaxBodyBytes: c.WebhookMaxBytes})
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if c.SMTPAddr != "" {
		e, err := notify.NewEmail(notify.EmailOptions{Addr: c.SMTPAddr, TLS: c.SMTPTLS, Username: c.SMTPUsername, Password: c.SMTPPassword, From: c.SMTPFrom})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if c.WeChatAppID != "" {
		tpls, err := notify.ParseWeChatTemplates(c.WeChatTemplates)
		if err != nil {
			return nil, fmt.Errorf("notify-wechat-templates: %w", err)
		}
		w, err := notify.NewWeChat(notify.WeChatOptions{AppID: c.WeChatAppID, AppSecret: c.WeChatSecret, Templates: tpls, State: c.WeChatState})
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// roomShows answers the scheduler's questions about a show from the room store.
type roomShows struct{ rooms *room.Store }

func (r roomShows) Show(ctx context.Context, id string) (reminder.Show, error) {
	rm, err := r.rooms.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		// A ticket for a room this store does not know: the confirmation
		// still goes out, without a start time to remind of.
		return reminder.Show{}, nil
	}
	if err != nil {
		return reminder.Show{}, err
	}
	sh := reminder.Show{Title: rm.Title}
	if rm.StartsAt != nil {
		sh.StartsAt = *rm.StartsAt
	}
	return sh, nil
}

// showPublisher publishes signaling's show changes as events.ShowEvent on
// JetStream (signaling.ShowEvents), each with its id as Nats-Msg-Id.
type showPublisher struct {
	js jetstream.JetStream
	ns string

	mu     sync.Mutex
	stream bool // the stream exists
}

func newShowPublisher(js jetstream.JetStream, ns string) *showPublisher {
	return &showPublisher{js: js, ns: ns}
}

func (p *showPublisher) Rescheduled(ctx context.Context, roomID string, startsAt time.Time) error {
	return p.publish(ctx, events.ShowEvent{Type: events.ShowRescheduled, Room: roomID, StartsAt: startsAt.UTC()})
}

func (p *showPublisher) Cancelled(ctx context.Context, roomID string) error {
	return p.publish(ctx, events.ShowEvent{Type: events.ShowCancelled, Room: roomID})
}

func (p *showPublisher) publish(ctx context.Context, ev events.ShowEvent) error {
	if err := p.ensureStream(ctx); err != nil {
		return err
	}
	var id [12]byte
	rand.Read(id[:])
	ev.ID, ev.At = "show_"+hex.EncodeToString(id[:]), time.Now().UTC()
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: events.ShowSubject(p.ns, ev.Type), Data: body, Header: nats.Header{}}
	msg.Header.Set(nats.MsgIdHdr, ev.ID)
	var last error
	for try := 0; try < 3; try++ {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, last = p.js.PublishMsg(pctx, msg)
		cancel()
		if last == nil || errors.Is(ctx.Err(), context.Canceled) {
			break
		}
	}
	if last != nil {
		return fmt.Errorf("show event: %w", last)
	}
	return nil
}

func (p *showPublisher) ensureStream(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stream {
		return nil
	}
	if _, err := p.js.CreateOrUpdateStream(ctx, events.ShowsStreamConfig(p.ns)); err != nil {
		return fmt.Errorf("show events stream: %w", err)
	}
	p.stream = true
	return nil
}
