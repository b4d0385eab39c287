package presale

import (
	"context"
	"strconv"
	"time"
)

// Reminder kinds (the reminder scheduler's names).
const (
	KindConfirmation = "confirmation"
	KindBalanceDue   = "balance_due"
)

// KindStart is the kind of the reminder d before the show starts
// ("start_24h", "start_1h", "start_30m").
func KindStart(d time.Duration) string {
	if d%time.Hour == 0 {
		return "start_" + strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return "start_" + strconv.Itoa(int(d/time.Minute)) + "m"
}

// Reminder is one message the scheduler sends a buyer, once per (user,
// room, kind); planning it again moves a pending one.
type Reminder struct {
	UserID  string
	Room    string
	Kind    string
	DueAt   time.Time
	Payload map[string]string
}

// Reminders is the reminder scheduler as the presale calls it (the
// composer adapts the notify capability's scheduler to it).
type Reminders interface {
	// Plan schedules jobs (moving pending ones of the same user, room and kind).
	Plan(ctx context.Context, jobs ...Reminder) error
	// Cancel drops user's pending reminders of room (kind "" = all).
	Cancel(ctx context.Context, room, user, kind string) error
}

// NoReminders sends none.
type NoReminders struct{}

// Plan does nothing.
func (NoReminders) Plan(context.Context, ...Reminder) error { return nil }

// Cancel does nothing.
func (NoReminders) Cancel(context.Context, string, string, string) error { return nil }
