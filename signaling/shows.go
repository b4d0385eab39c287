package signaling

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/signaling/room"
)

// ShowEvents hears of the two changes of a scheduled show that others act
// on: its start time moved (reminders move with it) and its cancel
// (holders are told and refunded). The composer publishes them as
// events.ShowEvent on JetStream.
type ShowEvents interface {
	Rescheduled(ctx context.Context, room string, startsAt time.Time) error
	Cancelled(ctx context.Context, room string) error
}

// startsAtChanged tells Shows when a PATCH moved the room's start time.
// The room is already saved: a failure to tell is logged, not answered.
func (a roomsAPI) startsAtChanged(ctx context.Context, before, after room.Room) {
	if a.s.opt.Shows == nil || after.StartsAt == nil {
		return
	}
	if before.StartsAt != nil && before.StartsAt.Equal(*after.StartsAt) {
		return
	}
	if err := a.s.opt.Shows.Rescheduled(ctx, after.ID, *after.StartsAt); err != nil {
		a.s.log.Error("show rescheduled but the event was not published", "room", after.ID, "err", err)
		return
	}
	a.s.log.Info("show rescheduled", "room", after.ID, "starts_at", after.StartsAt)
}

// cancelRoom answers POST /api/rooms/{room}/cancel: a room that has not
// gone live (idle or scheduled) is cancelled for good — nobody may publish
// in it until it is reopened — and its ticket holders are told.
func (a roomsAPI) cancelRoom(c *fiber.Ctx) error {
	r, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	ok, err := a.s.opt.Rooms.Transition(ctx, r.ID, room.StateCancelled, room.StateIdle)
	if err != nil {
		return roomError(err)
	}
	// Cancelling a cancelled room again tells its holders again (those
	// already told are not told twice): the retry after a failed publish.
	if !ok && r.State != room.StateCancelled {
		return apierr.E(apierr.CodeStateConflict, "only a room that has not gone live can be cancelled; room %s is %s", r.ID, r.Shown(time.Now()))
	}
	if r, err = a.s.opt.Rooms.Get(ctx, r.ID); err != nil {
		return roomError(err)
	}
	if a.s.opt.Shows != nil {
		if err := a.s.opt.Shows.Cancelled(ctx, r.ID); err != nil {
			// The cancel stands; the operator may call it again to retell.
			a.s.log.Error("show cancelled but the event was not published", "room", r.ID, "err", err)
			return apierr.E(apierr.CodeStoreUnavailable, "the show is cancelled, but its holders could not be told yet: call cancel again")
		}
	}
	a.s.log.Info("show cancelled", "room", r.ID)
	return c.JSON(a.view(c, r, true))
}
