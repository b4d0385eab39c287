package reminder_test

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestPlanAndCancelBalanceDue: the presale capability plans a deposit
// holder's balance reminder and cancels it when the balance is paid; a
// job already sent is not sent again when planned again.
func TestPlanAndCancelBalanceDue(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		rcv := startReceivers(t)
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		clk := &clock{t: t0}
		s := setup(t, b, clk, &shows{}, rcv)
		contacts := notify.NewContacts(b.SQL)
		for _, u := range []string{"ann", "bob"} {
			if err := contacts.Set(ctx, u, notify.Recipient{Email: u + "@example.com"}); err != nil {
				t.Fatal(err)
			}
		}
		due := t0.Add(10 * time.Hour)
		job := func(user string) reminder.Job {
			return reminder.Job{UserID: user, Room: "launch", Kind: reminder.KindBalanceDue, DueAt: due,
				Payload: map[string]string{"title": "发布会", "amount": "¥80.00", "due_at": "2026-12-02 18:00"}}
		}
		if err := s.Plan(ctx, job("ann"), job("bob")); err != nil {
			t.Fatal(err)
		}
		if err := s.Cancel(ctx, "launch", "ann", reminder.KindBalanceDue); err != nil {
			t.Fatal(err)
		}
		seen := 0
		clk.Set(due.Add(-time.Second))
		if got := drain(t, s, rcv, &seen); len(got) != 0 {
			t.Fatalf("before due: %v", got)
		}
		clk.Set(due)
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"bob:balance_due"}) {
			t.Fatalf("due: %v", got)
		}
		mails := rcv.smtp.Mails()
		if len(mails) != 1 || mails[0].To != "bob@example.com" || !strings.Contains(mails[0].Body, "2026-12-02 18:00 前支付尾款 ¥80.00") {
			t.Fatalf("mails %+v", mails)
		}
		// Planned again (a redelivered payment, say): already sent, left alone.
		if err := s.Plan(ctx, job("bob")); err != nil {
			t.Fatal(err)
		}
		if got := drain(t, s, rcv, &seen); len(got) != 0 {
			t.Fatalf("planned again: %v", got)
		}
		// A start reminder planned by kind moves with the show.
		starts := t0.Add(48 * time.Hour)
		if err := s.Plan(ctx, reminder.Job{UserID: "ann", Room: "launch", Kind: reminder.KindStart(3 * time.Hour), DueAt: starts.Add(-3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.HandleShow(ctx, showMoved("mv", "launch", starts.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, d := jobState(t, b.SQL, "ann", "launch", reminder.KindStart(3*time.Hour)); !d.Equal(starts.Add(-2 * time.Hour)) {
			t.Fatalf("planned start reminder due %s after the move", d)
		}
		if err := s.Plan(ctx, reminder.Job{UserID: "ann", Room: "launch"}); err == nil {
			t.Fatal("a job without kind and due time was planned")
		}
	})
}

// TestRetriesOnlyTheFailedChannel: the webhook is down for a while; the job
// is retried with backoff until it goes through, and the e-mail that went
// out on the first attempt is not sent again. A user without an address is
// skipped on e-mail; a channel down for good gives the job up after
// MaxAttempts.
func TestRetriesOnlyTheFailedChannel(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		rcv := startReceivers(t)
		flaky := reminder.JobID("ann", "launch", reminder.KindBalanceDue)
		dead := reminder.JobID("dan", "launch", reminder.KindBalanceDue)
		rcv.hook.Status = func(id string, n int) int {
			if id == flaky && n <= 4 || id == dead {
				return http.StatusBadGateway
			}
			return 0
		}
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		clk := &clock{t: t0}
		if err := reminder.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		if err := notify.Migrate(ctx, b.SQL); err != nil {
			t.Fatal(err)
		}
		contacts := notify.NewContacts(b.SQL)
		contacts.Set(ctx, "ann", notify.Recipient{Email: "ann@example.com"})
		contacts.Set(ctx, "dan", notify.Recipient{Email: "dan@example.com"})
		reg := prometheus.NewRegistry()
		n := runNode(t, reminder.Options{DB: b.SQL, Notifiers: rcv.notifiers(t), Contacts: contacts, Clock: clk, Metrics: reg,
			Poll: 10 * time.Millisecond, Lease: 5 * time.Second, RetryBase: 50 * time.Millisecond, RetryMax: 100 * time.Millisecond, MaxAttempts: 3})
		for _, u := range []string{"ann", "bob", "dan"} {
			if err := n.s.Plan(ctx, reminder.Job{UserID: u, Room: "launch", Kind: reminder.KindBalanceDue, DueAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		testenv.Eventually(t, 20*time.Second, func() bool {
			a, _ := jobState(t, b.SQL, "ann", "launch", reminder.KindBalanceDue)
			d, _ := jobState(t, b.SQL, "dan", "launch", reminder.KindBalanceDue)
			bb, _ := jobState(t, b.SQL, "bob", "launch", reminder.KindBalanceDue)
			return a == "sent" && bb == "sent" && d == "failed"
		}, "ann's job sent after retries, bob's sent, dan's given up")
		if got := rcv.hook.Tries(flaky); got != 5 {
			t.Errorf("webhook tries of ann's job %d, want 5 (3 in the first attempt, 2 in the second)", got)
		}
		mails := rcv.smtp.Count()
		if mails[flaky] != 1 || mails[dead] != 1 {
			t.Errorf("mails %v: the e-mail of a job retried for its webhook must go out once", mails)
		}
		// ann: webhook failed once then sent; bob: webhook sent, e-mail
		// skipped; dan: webhook failed three times; e-mails of ann and dan sent.
		for _, c := range []struct {
			channel, outcome string
			want             float64
		}{{"webhook", "sent", 2}, {"webhook", "failed", 4}, {"email", "sent", 2}, {"email", "skipped", 1}} {
			if got := testutil.ToFloat64(counterOf(t, reg, c.channel, c.outcome)); got != c.want {
				t.Errorf("deliveries_total{%s,%s} = %v, want %v", c.channel, c.outcome, got, c.want)
			}
		}
		var outcome string
		if err := b.SQL.QueryRow(`SELECT outcome FROM reminder_deliveries WHERE job_id = $1 AND channel = 'email'`,
			reminder.JobID("bob", "launch", reminder.KindBalanceDue)).Scan(&outcome); err != nil || outcome != "skipped" {
			t.Errorf("bob has no address: e-mail outcome %q (%v), want skipped", outcome, err)
		}
	})
}

// TestOldEventsDoNotNotify: a node that starts on a stream with history
// does not confirm a grant of two days ago, nor announce an old cancel;
// the start reminders still ahead are planned from the old grant.
func TestOldEventsDoNotNotify(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		rcv := startReceivers(t)
		t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		clk := &clock{t: t0}
		sh := &shows{m: map[string]reminder.Show{"launch": {Title: "发布会", StartsAt: t0.Add(48 * time.Hour)}, "old": {Title: "旧", StartsAt: t0.Add(time.Hour)}}}
		s := setup(t, b, clk, sh, rcv)
		old := t0.Add(-48 * time.Hour)
		for _, room := range []string{"launch", "old"} {
			if err := s.HandleEntitlement(ctx, events.EntitlementEvent{ID: "g-" + room, Type: events.EntitlementGranted, Room: room, UserID: "ann", At: old}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.HandleShow(ctx, events.ShowEvent{ID: "c-old", Type: events.ShowCancelled, Room: "old", At: old}); err != nil {
			t.Fatal(err)
		}
		seen := 0
		if got := drain(t, s, rcv, &seen); len(got) != 0 {
			t.Fatalf("old events notified: %v", got)
		}
		if st, _ := jobState(t, b.SQL, "ann", "launch", reminder.KindConfirmation); st != "skipped" {
			t.Fatalf("old grant's confirmation is %s", st)
		}
		if st, _ := jobState(t, b.SQL, "ann", "old", reminder.KindStart(time.Hour)); st != "cancelled" {
			t.Fatalf("the old cancel did not drop the pending reminder: %s", st)
		}
		clk.Set(t0.Add(24 * time.Hour))
		if got := drain(t, s, rcv, &seen); !equal(got, []string{"ann:start_24h"}) {
			t.Fatalf("the old grant's 24 h reminder: %v", got)
		}
	})
}

// counterOf is the deliveries counter of channel and outcome in reg.
func counterOf(t *testing.T, reg *prometheus.Registry, channel, outcome string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for _, mf := range mfs {
		if mf.GetName() != "livesell_reminder_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] == channel && labels["outcome"] == outcome {
				c.Add(m.GetCounter().GetValue())
			}
		}
	}
	return c
}
