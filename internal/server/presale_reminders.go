package server

import (
	"context"

	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/reminder"
)

// presaleReminders adapts the reminder scheduler to the presale's
// Reminders: a deposit's balance-due reminder, and the cancel of a
// released or refunded ticket's pending ones.
type presaleReminders struct{ s *reminder.Scheduler }

func (r presaleReminders) Plan(ctx context.Context, jobs ...presale.Reminder) error {
	out := make([]reminder.Job, len(jobs))
	for i, j := range jobs {
		out[i] = reminder.Job{UserID: j.UserID, Room: j.Room, Kind: j.Kind, DueAt: j.DueAt, Payload: j.Payload}
	}
	return r.s.Plan(ctx, out...)
}

func (r presaleReminders) Cancel(ctx context.Context, room, user, kind string) error {
	return r.s.Cancel(ctx, room, user, kind)
}
