package reminder_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/notify/notifytest"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
	"github.com/livesell/livesell/internal/testenv"
)

var hookSecret = []byte("reminder-test-webhook-secret-0123456789")

// clock is the test's clock, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// shows is the room store's answer for the shows of a test.
type shows struct {
	mu sync.Mutex
	m  map[string]reminder.Show
}

func (s *shows) Show(_ context.Context, room string) (reminder.Show, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.m[room]
	if !ok {
		return reminder.Show{}, fmt.Errorf("no show %s", room)
	}
	return sh, nil
}

// receivers are the real receivers of one test: an SMTP server and a
// webhook endpoint verifying signatures.
type receivers struct {
	smtp *notifytest.SMTPServer
	hook *notifytest.WebhookReceiver
}

func startReceivers(t *testing.T) receivers {
	return receivers{smtp: notifytest.StartSMTP(t, "mailer", "mailer-password"), hook: notifytest.StartWebhook(t, hookSecret)}
}

func (r receivers) notifiers(t *testing.T) []notify.Notifier {
	t.Helper()
	hook, err := notify.NewWebhook(notify.WebhookOptions{URL: r.hook.URL, Secret: hookSecret, Timeout: 5 * time.Second,
		Attempts: 3, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := notify.NewEmail(notify.EmailOptions{Addr: r.smtp.Addr, TLS: notify.SMTPPlain, Username: "mailer", Password: "mailer-password",
		From: "shows@shop.example", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return []notify.Notifier{hook, mail}
}

// openNode opens a node's own connection pool to the shared database: the
// real PostgreSQL schema of the test (url), or the embedded SQLite file in
// dir (two pools on one file behave as two processes).
func openNode(t *testing.T, url, dir string) *sqldb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, url, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := reminder.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := notify.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// eachShared runs fn on the embedded SQLite file and on the real
// PostgreSQL, giving it a way to open any number of node pools on the
// same database.
func eachShared(t *testing.T, fn func(t *testing.T, open func() *sqldb.DB)) {
	for _, kind := range []testenv.Kind{testenv.Embedded, testenv.Real} {
		t.Run(string(kind), func(t *testing.T) {
			url, dir := "", t.TempDir()
			if kind == testenv.Real {
				url = testenv.PostgresURL(t)
			}
			fn(t, func() *sqldb.DB { return openNode(t, url, dir) })
		})
	}
}

// node is one running scheduler.
type node struct {
	s    *reminder.Scheduler
	stop func()
}

func runNode(t *testing.T, opt reminder.Options) *node {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = testenv.Logger(t)
	}
	s, err := reminder.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	n := &node{s: s}
	var once sync.Once
	n.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(n.stop)
	return n
}

// stuck wraps a notifier so that its sends of kind hang until the node is
// stopped: the node dies in the middle of sending.
type stuck struct {
	notify.Notifier
	kind    string
	entered chan struct{}
}

func (s stuck) Send(ctx context.Context, m notify.Message) error {
	if m.Kind != s.kind {
		return s.Notifier.Send(ctx, m)
	}
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// jobState reads a job's state and due time.
func jobState(t *testing.T, db *sqldb.DB, user, room, kind string) (string, time.Time) {
	t.Helper()
	var state string
	var due int64
	if err := db.QueryRow(`SELECT state, due_at FROM reminder_jobs WHERE id = $1`, reminder.JobID(user, room, kind)).Scan(&state, &due); err != nil {
		t.Fatalf("job %s %s %s: %v", user, room, kind, err)
	}
	return state, time.UnixMilli(due).UTC()
}

func showMoved(id, room string, startsAt time.Time) events.ShowEvent {
	return events.ShowEvent{ID: id, Type: events.ShowRescheduled, Room: room, StartsAt: startsAt, At: startsAt}
}
