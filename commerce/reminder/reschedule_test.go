package reminder_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// setup migrates b's database and returns a scheduler over it (not running).
func setup(t *testing.T, b *backend.Backends, clk *clock, sh *shows, rcv receivers) *reminder.Scheduler {
	t.Helper()
	ctx := context.Background()
	if err := reminder.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	if err := notify.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	s, err := reminder.New(reminder.Options{DB: b.SQL, Notifiers: rcv.notifiers(t), Contacts: notify.NewContacts(b.SQL), Shows: sh,
		Clock: clk, Poll: 10 * time.Millisecond, Lease: 5 * time.Second, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drain sends everything due now and returns the kinds delivered on the
// webhook since the last call.
func drain(t *testing.T, s *reminder.Scheduler, rcv receivers, seen *int) []string {
	t.Helper()
	for {
		n, err := s.SendDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	all := rcv.hook.Accepted()
	var kinds []string
	for _, d := range all[*seen:] {
		var body struct {
			Kind   string `json:"kind"`
			UserID string `json:"user_id"`
		}
		json.Unmarshal(d.Body, &body)
		kinds = append(kinds, body.UserID+":"+body.Kind)
	}
	*seen = len(all)
	sort.Strings(kinds)
	return kinds
}

func equal(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestRescheduleMovesReminders: a show moved two days later sends nothing
// at the old times and its reminders at the new ones; moved to 30 minutes
// from now, only the 1 h reminder goes out (at once), not the 24 h one.
// The show event comes through JetStream, as signaling publishes it.
func TestRescheduleMovesReminders(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		rcv := startReceivers(t)
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		starts := t0.Add(48 * time.Hour)
		clk := &clock{t: t0}
		sh := &shows{m: map[string]reminder.Show{"launch": {Title: "发布会", StartsAt: starts}}}
		s := setup(t, b, clk, sh, rcv)
		stop, err := s.Consume(ctx, b.JetStream, ns)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		publish := func(subject string, v any, id string) {
			t.Helper()
			body, _ := json.Marshal(v)
			msg := &nats.Msg{Subject: subject, Data: body, Header: nats.Header{}}
			msg.Header.Set(nats.MsgIdHdr, id)
			if _, err := b.JetStream.PublishMsg(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
		publish(events.EntitlementSubject(ns, events.EntitlementGranted), events.EntitlementEvent{ID: "g1", Type: events.EntitlementGranted,
			Room: "launch", UserID: "ann", Tier: "vip", At: t0}, "g1")
		testenv.Eventually(t, 20*time.Second, func() bool {
			var n int
			b.SQL.QueryRow(`SELECT count(*) FROM reminder_jobs WHERE user_id = 'ann'`).Scan(&n)
			return n == 3
		}, "the grant event planned three jobs")
		seen := 0
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"ann:confirmation"}) {
			t.Fatalf("at once: %v", got)
		}

		// Moved two days later.
		later := starts.Add(48 * time.Hour)
		publish(events.ShowSubject(ns, events.ShowRescheduled), events.ShowEvent{ID: "s1", Type: events.ShowRescheduled, Room: "launch", StartsAt: later, At: t0}, "s1")
		testenv.Eventually(t, 20*time.Second, func() bool {
			_, due := jobState(t, b.SQL, "ann", "launch", reminder.KindStart(time.Hour))
			return due.Equal(later.Add(-time.Hour))
		}, "the 1 h reminder moved to an hour before the new start")
		if _, due := jobState(t, b.SQL, "ann", "launch", reminder.KindStart(24*time.Hour)); !due.Equal(later.Add(-24 * time.Hour)) {
			t.Fatalf("24 h reminder due %s", due)
		}
		for _, at := range []time.Time{starts.Add(-24 * time.Hour), starts.Add(-time.Hour), starts} {
			clk.Set(at)
			if got := drain(t, s, rcv, &seen); len(got) != 0 {
				t.Fatalf("at the old time %s: sent %v", at, got)
			}
		}
		clk.Set(later.Add(-24 * time.Hour))
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"ann:start_24h"}) {
			t.Fatalf("24 h before the new start: %v", got)
		}
		clk.Set(later.Add(-time.Hour))
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"ann:start_1h"}) {
			t.Fatalf("1 h before the new start: %v", got)
		}

		// A second holder; the show is moved to 30 minutes from now: the
		// 24 h reminder is past and says nothing the 1 h one does not.
		clk.Set(later)
		sh.mu.Lock()
		sh.m["launch"] = reminder.Show{Title: "发布会", StartsAt: later.Add(48 * time.Hour)}
		sh.mu.Unlock()
		if err := s.HandleEntitlement(ctx, events.EntitlementEvent{ID: "g2", Type: events.EntitlementGranted, Room: "launch", UserID: "bob", At: later}); err != nil {
			t.Fatal(err)
		}
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"bob:confirmation"}) {
			t.Fatalf("bob's confirmation: %v", got)
		}
		soon := later.Add(30 * time.Minute)
		if err := s.HandleShow(ctx, events.ShowEvent{ID: "s2", Type: events.ShowRescheduled, Room: "launch", StartsAt: soon, At: later}); err != nil {
			t.Fatal(err)
		}
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"bob:start_1h"}) {
			t.Fatalf("moved to 30 minutes from now: %v", got)
		}
		if st, _ := jobState(t, b.SQL, "bob", "launch", reminder.KindStart(24*time.Hour)); st != "skipped" {
			t.Fatalf("bob's 24 h reminder is %s, want skipped", st)
		}
		// A redelivered event is applied once: nothing moves back.
		if err := s.HandleShow(ctx, events.ShowEvent{ID: "s1", Type: events.ShowRescheduled, Room: "launch", StartsAt: later, At: t0}); err != nil {
			t.Fatal(err)
		}
		if _, due := jobState(t, b.SQL, "bob", "launch", reminder.KindStart(time.Hour)); !due.Equal(soon.Add(-time.Hour)) {
			t.Fatalf("a redelivered reschedule moved the job to %s", due)
		}
		// Ann's reminders were sent: a sent reminder is never sent again.
		if got := drain(t, s, rcv, &seen); len(got) != 0 {
			t.Fatalf("after the move: %v", got)
		}
	})
}

// TestCancelledShowNotifiesHolders: a cancel drops every pending reminder
// and tells each active holder once; a holder whose ticket was revoked
// before is not told, and the refunds that follow the cancel (revokes) do
// not drop the notice.
func TestCancelledShowNotifiesHolders(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		rcv := startReceivers(t)
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		clk := &clock{t: t0}
		sh := &shows{m: map[string]reminder.Show{"launch": {Title: "发布会", StartsAt: t0.Add(72 * time.Hour)}}}
		s := setup(t, b, clk, sh, rcv)
		for i, u := range []string{"ann", "bob", "cat"} {
			if err := s.HandleEntitlement(ctx, events.EntitlementEvent{ID: fmt.Sprint("g", i), Type: events.EntitlementGranted, Room: "launch", UserID: u, At: t0}); err != nil {
				t.Fatal(err)
			}
		}
		seen := 0
		if got := drain(t, s, rcv, &seen); len(got) != 3 {
			t.Fatalf("confirmations: %v", got)
		}
		if err := s.HandleEntitlement(ctx, events.EntitlementEvent{ID: "r-cat", Type: events.EntitlementRevoked, Room: "launch", UserID: "cat", Source: "refund", At: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.HandleShow(ctx, events.ShowEvent{ID: "c1", Type: events.ShowCancelled, Room: "launch", At: t0}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"ann", "bob"} {
			if err := s.HandleEntitlement(ctx, events.EntitlementEvent{ID: "r-" + u, Type: events.EntitlementRevoked, Room: "launch", UserID: u, Source: "refund", At: t0}); err != nil {
				t.Fatal(err)
			}
		}
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"ann:show_cancelled", "bob:show_cancelled"}) {
			t.Fatalf("cancel: %v", got)
		}
		// The start times come and go without a message.
		clk.Set(t0.Add(71 * time.Hour))
		if got := drain(t, s, rcv, &seen); len(got) != 0 {
			t.Fatalf("after the cancel: %v", got)
		}
		var mails int
		for _, m := range rcv.smtp.Mails() {
			if m.Subject == "直播已取消 / Show cancelled: 发布会" {
				mails++
			}
		}
		if mails != 0 {
			// No contacts were set: nobody has an e-mail address here.
			t.Fatalf("%d cancel mails without addresses", mails)
		}
	})
}
