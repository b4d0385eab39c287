package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/commerce/notify/notifytest"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/sqldb"
	"github.com/livesell/livesell/internal/testenv"
)

// TestRemindersThroughTheNode: on the real services, a node configured
// with a webhook and an SMTP server sends a ticket holder's confirmation
// when the entitlement event arrives on JetStream, moves the start
// reminders when the operator PATCHes starts_at (signaling publishes the
// show event), and tells the holder once when the show is cancelled.
func TestRemindersThroughTheNode(t *testing.T) {
	secret := strings.Repeat("w", 40)
	hook := notifytest.StartWebhook(t, []byte(secret))
	mail := notifytest.StartSMTP(t, "mailer", "mailer-password")
	dbURL, ns := testenv.PostgresURL(t), testenv.Namespace(t)
	admin := strings.Repeat("a", 40)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AdminToken = admin
	cfg.Media.ICEInterfaces = []string{"lo"}
	cfg.Store = config.StoreConfig{RedisURL: testenv.RedisURL(), DatabaseURL: dbURL, NATSURL: testenv.NATSURL(), Namespace: ns}
	cfg.Notify.ReminderPoll = 20 * time.Millisecond
	cfg.Notify.WebhookURL, cfg.Notify.WebhookSecret = hook.URL, secret
	cfg.Notify.SMTPAddr, cfg.Notify.SMTPTLS, cfg.Notify.SMTPUsername, cfg.Notify.SMTPPassword, cfg.Notify.SMTPFrom =
		mail.Addr, "none", "mailer", "mailer-password", "shows@shop.example"
	logs := &syncBuffer{}
	s, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })

	start := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	status, _, body := send(t, s, "POST", "/api/rooms", admin, `{"id":"launch","title":"冬季发布会","starts_at":"`+start.Format(time.RFC3339)+`"}`)
	if status != http.StatusCreated {
		t.Fatalf("create room: %d %s", status, body)
	}
	if status, _, body := send(t, s, "PUT", "/api/users/ann/contact", admin, `{"email":"ann@example.com"}`); status != 200 {
		t.Fatalf("contact: %d %s", status, body)
	}
	if status, _, _ := send(t, s, "PUT", "/api/users/ann/contact", "", `{"email":"ann@example.com"}`); status != http.StatusUnauthorized {
		t.Fatalf("contact without the admin token: %d", status)
	}

	// The presale capability's outbox publishes the grant.
	var nc *nats.Conn
	nc, err = nats.Connect(testenv.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	ev, _ := json.Marshal(events.EntitlementEvent{ID: "grant-1", Type: events.EntitlementGranted, Room: "launch", UserID: "ann", Tier: "vip", Source: "paid", At: time.Now()})
	if _, err := js.Publish(ctx, events.EntitlementSubject(ns, events.EntitlementGranted), ev); err != nil {
		t.Fatal(err)
	}
	confirmation := reminder.JobID("ann", "launch", reminder.KindConfirmation)
	testenv.Eventually(t, 30*time.Second, func() bool {
		return hook.Count()[confirmation] == 1 && mail.Count()[confirmation] == 1
	}, "the confirmation by webhook and e-mail")
	if m := mail.Mails()[0]; m.To != "ann@example.com" || !strings.Contains(m.Body, "冬季发布会") || !strings.Contains(m.Body, "（vip）") {
		t.Fatalf("mail %+v", m)
	}

	// The operator moves the show a day later: the reminders move.
	later := start.Add(24 * time.Hour)
	if status, _, body := send(t, s, "PATCH", "/api/rooms/launch", admin, `{"starts_at":"`+later.Format(time.RFC3339)+`"}`); status != 200 {
		t.Fatalf("patch: %d %s", status, body)
	}
	db, err := sqldb.Open(ctx, dbURL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testenv.Eventually(t, 30*time.Second, func() bool {
		var due int64
		db.QueryRow(`SELECT due_at FROM reminder_jobs WHERE id = $1`, reminder.JobID("ann", "launch", reminder.KindStart(24*time.Hour))).Scan(&due)
		return due == later.Add(-24*time.Hour).UnixMilli()
	}, "the 24 h reminder moved with the show")

	// Cancelled: the holder is told once, by both channels.
	if status, _, body := send(t, s, "POST", "/api/rooms/launch/cancel", admin, ""); status != 200 || !strings.Contains(string(body), `"state":"cancelled"`) {
		t.Fatalf("cancel: %d %s", status, body)
	}
	cancelled := reminder.JobID("ann", "launch", reminder.KindCancelled)
	testenv.Eventually(t, 30*time.Second, func() bool {
		return hook.Count()[cancelled] == 1 && mail.Count()[cancelled] == 1
	}, "the cancel notice by webhook and e-mail")
	testenv.Eventually(t, 30*time.Second, func() bool {
		var pending, cancelledStart int
		db.QueryRow(`SELECT count(*) FROM reminder_jobs WHERE state = 'pending'`).Scan(&pending)
		db.QueryRow(`SELECT count(*) FROM reminder_jobs WHERE kind LIKE 'start_%' AND state = 'cancelled'`).Scan(&cancelledStart)
		return pending == 0 && cancelledStart == 2
	}, "nothing pending after the cancel, both start reminders cancelled")
	for _, secret := range []string{secret, "mailer-password", admin} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a secret is in the log")
		}
	}
	if !strings.Contains(logs.String(), "reminders on") {
		t.Errorf("the start-up log does not say reminders are on:\n%s", logs.String())
	}
	if hook.Refused() != 0 {
		t.Fatalf("%d webhook deliveries failed the HMAC", hook.Refused())
	}
}
