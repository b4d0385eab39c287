package reminder_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/notify"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
	"github.com/livesell/livesell/internal/testenv"
)

// TestEveryReminderOnceAcrossTwoNodesAndARestart: twenty ticket holders,
// two scheduler nodes on the same database, a real SMTP server and a
// webhook receiver that verifies the HMAC. The confirmation, the 24 h and
// the 1 h reminders each arrive exactly once per channel, although node A
// dies in the middle of sending the 1 h reminders (its claimed jobs are
// taken over by the other node and by A's restart once the lease runs out)
// and the webhook answers 503 to the first try of some messages.
func TestEveryReminderOnceAcrossTwoNodesAndARestart(t *testing.T) {
	eachShared(t, func(t *testing.T, open func() *sqldb.DB) {
		ctx := context.Background()
		rcv := startReceivers(t)
		rcv.hook.Status = func(id string, n int) int {
			if n == 1 && strings.HasSuffix(id, "0") {
				return http.StatusServiceUnavailable
			}
			return 0
		}
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		starts := t0.Add(48 * time.Hour)
		clk := &clock{t: t0}
		sh := &shows{m: map[string]reminder.Show{"launch": {Title: "冬季新品发布会", StartsAt: starts}}}
		dbA, dbB := open(), open()
		contacts := notify.NewContacts(dbA)
		const users = 20
		for i := range users {
			if err := contacts.Set(ctx, fmt.Sprintf("u%02d", i), notify.Recipient{Email: fmt.Sprintf("fan%02d@example.com", i)}); err != nil {
				t.Fatal(err)
			}
		}
		opts := func(db *sqldb.DB, owner string, ns []notify.Notifier) reminder.Options {
			return reminder.Options{DB: db, Notifiers: ns, Contacts: notify.NewContacts(db), Shows: sh, Clock: clk, Owner: owner,
				Poll: 10 * time.Millisecond, Lease: 2 * time.Second, Batch: 3, RetryBase: 100 * time.Millisecond, RetryMax: time.Second}
		}
		entered := make(chan struct{}, 1)
		nsA := rcv.notifiers(t)
		nsA[1] = stuck{Notifier: nsA[1], kind: reminder.KindStart(time.Hour), entered: entered}
		a := runNode(t, opts(dbA, "node-a", nsA))
		b := runNode(t, opts(dbB, "node-b", rcv.notifiers(t)))

		// The grants arrive on both nodes (as the shared durable consumer
		// hands them out); one is redelivered to the other node.
		for i := range users {
			n := a.s
			if i%2 == 1 {
				n = b.s
			}
			ev := events.EntitlementEvent{ID: fmt.Sprintf("ev-grant-%d", i), Type: events.EntitlementGranted, Room: "launch",
				UserID: fmt.Sprintf("u%02d", i), Tier: "standard", Source: "paid", At: t0}
			if err := n.HandleEntitlement(ctx, ev); err != nil {
				t.Fatal(err)
			}
			if i == 3 {
				if err := b.s.HandleEntitlement(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := map[string]bool{}
		waitKind := func(kind string) {
			t.Helper()
			for i := range users {
				want[reminder.JobID(fmt.Sprintf("u%02d", i), "launch", kind)] = true
			}
			testenv.Eventually(t, 30*time.Second, func() bool {
				hooks, mails := rcv.hook.Count(), rcv.smtp.Count()
				for id := range want {
					if hooks[id] == 0 || mails[id] == 0 {
						return false
					}
				}
				// … and recorded as sent, before the test moves the clock
				// past the leases.
				var open int
				dbB.QueryRow(`SELECT count(*) FROM reminder_jobs WHERE kind = $1 AND state <> 'sent'`, kind).Scan(&open)
				return open == 0
			}, "every %s by webhook and e-mail (webhook %d, mail %d)", kind, len(rcv.hook.Accepted()), len(rcv.smtp.Mails()))
		}
		waitKind(reminder.KindConfirmation)

		// Nothing more is due until 24 h before the start.
		clk.Set(starts.Add(-24*time.Hour - time.Minute))
		if n, err := b.s.SendDue(ctx); err != nil || n != 0 {
			t.Fatalf("a minute before the 24 h reminders: claimed %d, %v", n, err)
		}
		clk.Set(starts.Add(-24 * time.Hour))
		waitKind(reminder.KindStart(24 * time.Hour))

		// 1 h before: node A claims jobs and hangs in the middle of sending
		// them by e-mail (the webhook went out first); then it dies.
		clk.Set(starts.Add(-time.Hour))
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("node A never started sending a 1 h reminder")
		}
		a.stop()
		var leased int
		if err := dbB.QueryRow(`SELECT count(*) FROM reminder_jobs WHERE lease_owner = 'node-a' AND state = 'pending'`).Scan(&leased); err != nil {
			t.Fatal(err)
		}
		if leased == 0 {
			t.Fatal("node A died holding no lease: the test did not interrupt a send")
		}
		t.Logf("node A died holding %d leased jobs", leased)
		// A restarts (a new process: a new pool and a new node id); its
		// old leases run out after 2 s and the jobs are sent.
		a2 := runNode(t, opts(open(), "node-a2", rcv.notifiers(t)))
		waitKind(reminder.KindStart(time.Hour))
		b.stop()
		a2.stop()

		hooks, mails := rcv.hook.Count(), rcv.smtp.Count()
		if len(hooks) != 3*users || len(mails) != 3*users {
			t.Errorf("distinct messages: webhook %d, mail %d, want %d each", len(hooks), len(mails), 3*users)
		}
		for id := range want {
			if hooks[id] != 1 || mails[id] != 1 {
				t.Errorf("message %s: %d webhook deliveries, %d mails; want exactly 1 each", id, hooks[id], mails[id])
			}
		}
		if r := rcv.hook.Refused(); r != 0 {
			t.Errorf("%d webhook requests failed the HMAC check", r)
		}
		var unsent int
		if err := dbB.QueryRow(`SELECT count(*) FROM reminder_jobs WHERE state <> 'sent'`).Scan(&unsent); err != nil || unsent != 0 {
			t.Errorf("%d jobs not sent (%v)", unsent, err)
		}
		for _, m := range rcv.smtp.Mails() {
			if !strings.Contains(m.Body, "冬季新品发布会") || !strings.Contains(m.Body, "2026-12-03 18:00") {
				t.Fatalf("mail %s: %q", m.ID, m.Body)
			}
		}
	})
}
