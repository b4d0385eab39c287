package reminder

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/events"
)

// HandleEntitlement applies one entitlement event, once per event id: a
// grant plans the confirmation (at once) and the start reminders still
// ahead; a revoke cancels the holder's unsent messages.
func (s *Scheduler) HandleEntitlement(ctx context.Context, ev events.EntitlementEvent) error {
	if ev.Room == "" || ev.UserID == "" {
		return fmt.Errorf("reminder: entitlement event %q has no room or user", ev.ID)
	}
	var show Show
	if ev.Type == events.EntitlementGranted && s.opt.Shows != nil {
		var err error
		if show, err = s.opt.Shows.Show(ctx, ev.Room); err != nil {
			return fmt.Errorf("reminder: show %s: %w", ev.Room, err)
		}
	}
	now := s.opt.Clock.Now()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if fresh, err := firstSeen(ctx, tx, ev.ID, now); err != nil || !fresh {
			return err
		}
		switch ev.Type {
		case events.EntitlementGranted:
			if err := setHolder(ctx, tx, ev.Room, ev.UserID, ev.Tier, true, now); err != nil {
				return err
			}
			stale := s.stale(ev.At, now)
			for _, j := range s.grantJobs(ev, show, now) {
				state := statePending
				if j.before > 0 && !j.DueAt.After(now) {
					// The confirmation already says when it starts.
					state = stateSkipped
				}
				if j.Kind == KindConfirmation && stale {
					state = stateSkipped
				}
				if err := upsert(ctx, tx, j, state, now); err != nil {
					return err
				}
			}
		case events.EntitlementRevoked:
			if err := setHolder(ctx, tx, ev.Room, ev.UserID, "", false, now); err != nil {
				return err
			}
			// The notice of a cancelled show is kept: its refunds revoke.
			if _, err := cancelJobs(ctx, tx, ev.Room, ev.UserID, "", KindCancelled, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// stale reports whether an event of at is too old to notify about now.
func (s *Scheduler) stale(at, now time.Time) bool {
	return !at.IsZero() && now.Sub(at) > s.opt.StaleAfter
}

// grantJobs are the jobs a grant plans.
func (s *Scheduler) grantJobs(ev events.EntitlementEvent, show Show, now time.Time) []Job {
	payload := map[string]string{"title": show.Title}
	if ev.Tier != "" {
		payload["tier"] = ev.Tier
	}
	if ev.OrderID != "" {
		payload["order_id"] = ev.OrderID
	}
	jobs := []Job{{UserID: ev.UserID, Room: ev.Room, Kind: KindConfirmation, DueAt: now, StartsAt: show.StartsAt, Payload: payload}}
	if show.StartsAt.IsZero() {
		return jobs
	}
	for _, b := range s.opt.Before {
		jobs = append(jobs, Job{UserID: ev.UserID, Room: ev.Room, Kind: KindStart(b), DueAt: show.StartsAt.Add(-b),
			StartsAt: show.StartsAt, Payload: payload, before: b})
	}
	return jobs
}

// HandleShow applies one show event, once per event id: a reschedule moves
// the unsent start reminders; a cancel drops every unsent message of the
// show and notifies each active ticket holder at once.
func (s *Scheduler) HandleShow(ctx context.Context, ev events.ShowEvent) error {
	if ev.Room == "" {
		return fmt.Errorf("reminder: show event %q has no room", ev.ID)
	}
	var show Show
	if ev.Type == events.ShowCancelled && s.opt.Shows != nil {
		var err error
		if show, err = s.opt.Shows.Show(ctx, ev.Room); err != nil {
			return fmt.Errorf("reminder: show %s: %w", ev.Room, err)
		}
	}
	now := s.opt.Clock.Now()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if fresh, err := firstSeen(ctx, tx, ev.ID, now); err != nil || !fresh {
			return err
		}
		switch ev.Type {
		case events.ShowRescheduled:
			if ev.StartsAt.IsZero() {
				return nil
			}
			n, err := moveStart(ctx, tx, ev.Room, ev.StartsAt, now)
			if err == nil {
				s.log.Info("reminders moved", "room", ev.Room, "starts_at", ev.StartsAt, "jobs", n)
			}
			return err
		case events.ShowCancelled:
			if _, err := cancelJobs(ctx, tx, ev.Room, "", "", KindCancelled, now); err != nil {
				return err
			}
			if s.stale(ev.At, now) {
				s.log.Info("old show cancel: pending reminders dropped, nobody notified", "room", ev.Room, "at", ev.At)
				return nil
			}
			users, err := holders(ctx, tx, ev.Room)
			if err != nil {
				return err
			}
			for _, u := range users {
				j := Job{UserID: u, Room: ev.Room, Kind: KindCancelled, DueAt: now, StartsAt: show.StartsAt, Payload: map[string]string{"title": show.Title}}
				if err := upsert(ctx, tx, j, statePending, now); err != nil {
					return err
				}
			}
			s.log.Info("show cancelled: holders notified", "room", ev.Room, "holders", len(users))
		}
		return nil
	})
}
