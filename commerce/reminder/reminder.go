// Package reminder is the scheduler of the messages that bring ticket
// holders back: a purchase confirmation at once, reminders a configurable
// list of durations before the show starts (24 h and 1 h by default), a
// balance-due reminder for deposits, and a notice when a show is cancelled.
//
// Each (user, show, kind) is one row in SQL and is sent at most once. Due
// rows are claimed by any node (FOR UPDATE SKIP LOCKED on PostgreSQL, the
// single-writer transaction on SQLite) under a lease: a node that dies
// mid-send leaves the lease to run out, and another node sends the job. The
// deliveries of each channel are recorded, so a retry sends only on the
// channels not yet done, and every message carries the job's stable id as
// its idempotency id.
//
// The scheduler learns what to plan from the entitlement and show events
// (Consume), and from the presale capability through Plan and Cancel.
package reminder

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The kinds of message.
const (
	// KindConfirmation is sent at once when a ticket is granted.
	KindConfirmation = "confirmation"
	// KindBalanceDue reminds a deposit holder to pay the balance (planned
	// by the presale capability).
	KindBalanceDue = "balance_due"
	// KindCancelled tells a ticket holder that the show is cancelled.
	KindCancelled = "show_cancelled"
)

// KindStart is the kind of the reminder sent before (24h → "start_24h",
// 90m → "start_90m") the show starts.
func KindStart(before time.Duration) string {
	if before%time.Hour == 0 {
		return "start_" + strconv.FormatInt(int64(before/time.Hour), 10) + "h"
	}
	if before%time.Minute == 0 {
		return "start_" + strconv.FormatInt(int64(before/time.Minute), 10) + "m"
	}
	return "start_" + strconv.FormatInt(int64(before/time.Second), 10) + "s"
}

// startOffset is the duration a start kind ("start_24h") names.
func startOffset(kind string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(kind, "start_")
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(rest)
	if err != nil || d <= 0 {
		return 0, false
	}
	return d, true
}

// Job is one message to plan.
type Job struct {
	UserID string
	Room   string
	Kind   string
	// DueAt is when it is sent (at once if it has passed).
	DueAt time.Time
	// StartsAt is the show's start, shown in the message (optional).
	StartsAt time.Time
	// Payload are the message's values (title, tier, amount, due_at …).
	Payload map[string]string

	// before ties a start reminder to the start time (it moves with it).
	before time.Duration
}

func (j Job) validate() error {
	if j.UserID == "" || j.Room == "" || j.Kind == "" {
		return fmt.Errorf("reminder: a job needs a user, a room and a kind")
	}
	if j.DueAt.IsZero() {
		return fmt.Errorf("reminder: job %s of %s in %s has no due time", j.Kind, j.UserID, j.Room)
	}
	return nil
}

// Clock tells the time; tests pass one they move by hand.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }
