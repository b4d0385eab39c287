package signaling

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/signaling/room"
)

// reopenRoom answers POST /api/rooms/{room}/reopen: an ended (or
// cancelled) room becomes idle again (shown as scheduled while its starts_at is ahead), so its
// anchor can go live in it once more. Any other state is a 409.
func (a roomsAPI) reopenRoom(c *fiber.Ctx) error {
	r, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	ok, err := a.s.opt.Rooms.Transition(c.UserContext(), r.ID, room.StateIdle, room.StateEnded, room.StateCancelled)
	if err != nil {
		return roomError(err)
	}
	if !ok {
		return apierr.E(apierr.CodeStateConflict, "only an ended or cancelled room can be reopened; room %s is %s", r.ID, r.Shown(time.Now()))
	}
	if r, err = a.s.opt.Rooms.Get(c.UserContext(), r.ID); err != nil {
		return roomError(err)
	}
	a.s.log.Info("room reopened", "room", r.ID)
	return c.JSON(a.view(c, r, true))
}

// cloneRequest is the body of POST /api/rooms/{room}/clone (all optional).
type cloneRequest struct {
	ID       string  `json:"id"`
	Title    *string `json:"title"`
	StartsAt string  `json:"starts_at"`
}

// cloneRoom answers POST /api/rooms/{room}/clone: a new idle room with the
// source's title, cover, privacy and chat setting (the body may give a new
// id, title and starts_at) and its own first push key. Only the room record
// is copied: the products bound to a room are commerce's, not copied here.
func (a roomsAPI) cloneRoom(c *fiber.Ctx) error {
	src, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	var req cloneRequest
	if len(c.Body()) > 0 {
		if err := apierr.DecodeJSON(c.Body(), &req); err != nil {
			return err
		}
	}
	n := room.NewRoom{ID: req.ID, Title: src.Title, Private: src.Private, AnonymousChat: src.AnonymousChat, CoverURL: src.CoverURL}
	if req.Title != nil {
		if !room.ValidTitle(*req.Title) {
			return apierr.E(apierr.CodeInvalidRequest, "title must be 1-%d printable characters", room.MaxTitleRunes)
		}
		n.Title = *req.Title
	}
	if req.StartsAt != "" {
		t, err := parseStartsAt(req.StartsAt)
		if err != nil {
			return err
		}
		n.StartsAt = &t
	}
	ctx := c.UserContext()
	r, err := a.s.opt.Rooms.Create(ctx, n)
	if err != nil {
		return roomError(err)
	}
	k, plain, err := a.s.opt.Keys.IssueKey(ctx, r.ID)
	if err != nil {
		return roomError(err)
	}
	a.s.log.Info("room cloned", "room", r.ID, "from", src.ID, "key", k.ID)
	return c.Status(fiber.StatusCreated).JSON(struct {
		roomView
		PushKey    string `json:"push_key"`
		PushKeyID  string `json:"push_key_id"`
		ClonedFrom string `json:"cloned_from"`
	}{a.view(c, r, true), plain, k.ID, src.ID})
}
