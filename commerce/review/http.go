package review

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
)

// Guard is the server's one credential check (internal/auth's Authenticator).
type Guard interface {
	Request(c *fiber.Ctx, accept auth.Accept, room string) (auth.Principal, error)
}

// Rooms says whether a room is private (its tokens only).
type Rooms interface {
	Private(ctx context.Context, room string) (bool, error)
}

// HTTP is the review's HTTP face.
type HTTP struct {
	Service *Service
	Auth    Guard
	Rooms   Rooms
	// Tickets, when set, keeps a ticketed room's replay to ticket holders.
	Tickets auth.Tickets
}

// Mount registers the routes on r:
//
//	GET  /api/rooms/{room}/shows                          admin: the room's shows
//	GET  /api/rooms/{room}/shows/{show}/report            admin: the report (JSON; ?format=csv)
//	GET  /api/rooms/{room}/replay                         the latest ended show and its chapters (room access)
//	GET  /api/rooms/{room}/shows/{show}/chapters          the show's chapters (room access)
//	GET  /api/rooms/{room}/shows/{show}/chat              the show's danmaku for chat replay (room access)
//	POST /api/rooms/{room}/shows/{show}/replay-events     the replay page's views, chapter plays, clicks (room access)
func (h *HTTP) Mount(r fiber.Router) {
	r.Get("/api/rooms/:room/shows", h.admin, h.shows)
	r.Get("/api/rooms/:room/shows/:show/report", h.admin, h.report)
	r.Get("/api/rooms/:room/replay", h.viewer, h.latest)
	r.Get("/api/rooms/:room/shows/:show/chapters", h.viewer, h.chapters)
	r.Get("/api/rooms/:room/shows/:show/chat", h.viewer, h.chat)
	r.Post("/api/rooms/:room/shows/:show/replay-events", h.viewer, h.replayEvent)
}

func roomOf(c *fiber.Ctx) (string, error) {
	room := c.Params("room")
	if !roomid.Valid(room) {
		return "", apierr.New(apierr.CodeInvalidRoomID)
	}
	return room, nil
}

func (h *HTTP) admin(c *fiber.Ctx) error {
	room, err := roomOf(c)
	if err != nil {
		return err
	}
	if _, err := h.Auth.Request(c, auth.Admin, room); err != nil {
		return err
	}
	return c.Next()
}

// viewer applies the room's access rules: a private room admits the
// tokens that name it, a ticketed one its ticket holders.
func (h *HTTP) viewer(c *fiber.Ctx) error {
	room, err := roomOf(c)
	if err != nil {
		return err
	}
	p, err := h.Auth.Request(c, auth.Admin|auth.PushKey|auth.User|auth.AllowAnonymous, room)
	if err != nil {
		return err
	}
	private, err := h.Rooms.Private(c.UserContext(), room)
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	if err := auth.Admit(p, room, private); err != nil {
		return err
	}
	if h.Tickets != nil && p.Kind != auth.KindAdmin && p.Kind != auth.KindPushKey {
		ticketed, _, ok, err := h.Tickets.Pass(c.UserContext(), room, p.UserID)
		if err != nil {
			return apierr.Wrap(apierr.CodeStoreUnavailable, err)
		}
		if ticketed && (!ok || p.Kind == auth.KindAnonymous) {
			return apierr.E(apierr.CodeRoomForbidden, "this show is ticketed: its replay is for ticket holders")
		}
	}
	return c.Next()
}

// show is the show in the path, of the room in the path.
func (h *HTTP) show(c *fiber.Ctx) (Show, error) {
	id := c.Params("show")
	if len(id) != 16 || !isHex(id) {
		return Show{}, apierr.New(apierr.CodeInvalidShowID)
	}
	sh, err := h.Service.Store().Show(c.UserContext(), id)
	if errors.Is(err, ErrNoShow) || (err == nil && sh.Room != c.Params("room")) {
		return Show{}, apierr.New(apierr.CodeShowNotFound)
	}
	if err != nil {
		return Show{}, apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	return sh, nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func (h *HTTP) shows(c *fiber.Ctx) error {
	shows, err := h.Service.Store().Shows(c.UserContext(), c.Params("room"))
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	return c.JSON(fiber.Map{"shows": nonNil(shows)})
}

func (h *HTTP) report(c *fiber.Ctx) error {
	sh, err := h.show(c)
	if err != nil {
		return err
	}
	r, err := h.Service.report(c.UserContext(), sh)
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	switch c.Query("format") {
	case "", "json":
		return c.JSON(r)
	case "csv":
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="report-`+sh.Room+`-`+sh.ID+`.csv"`)
		return c.Send(CSV(r))
	}
	return apierr.E(apierr.CodeInvalidRequest, "format is json or csv")
}

// Chapters is a show and its chapters, for the replay page.
type Chapters struct {
	Show     Show      `json:"show"`
	Chapters []Chapter `json:"chapters"`
}

func (h *HTTP) chaptersOf(c *fiber.Ctx, sh Show) error {
	end := sh.EndedAt
	if !sh.Ended() {
		end = h.Service.opts.Now().UTC()
	}
	cards, err := h.Service.Store().cards(c.UserContext(), sh.Room, sh.StartedAt, end)
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	return c.JSON(Chapters{Show: sh, Chapters: nonNil(chapters(&input{show: sh, end: end, cards: cards}))})
}

func (h *HTTP) chapters(c *fiber.Ctx) error {
	sh, err := h.show(c)
	if err != nil {
		return err
	}
	return h.chaptersOf(c, sh)
}

func (h *HTTP) latest(c *fiber.Ctx) error {
	shows, err := h.Service.Store().Shows(c.UserContext(), c.Params("room"))
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	for _, sh := range shows {
		if sh.Ended() {
			return h.chaptersOf(c, sh)
		}
	}
	return apierr.E(apierr.CodeShowNotFound, "this room has no ended show to replay yet")
}

func (h *HTTP) chat(c *fiber.Ctx) error {
	sh, err := h.show(c)
	if err != nil {
		return err
	}
	msgs, err := h.Service.Store().Chat(c.UserContext(), sh, h.Service.opts.Now())
	if err != nil {
		return apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	return c.JSON(fiber.Map{"show": sh, "messages": nonNil(msgs)})
}

func (h *HTTP) replayEvent(c *fiber.Ctx) error {
	sh, err := h.show(c)
	if err != nil {
		return err
	}
	ev, err := ParseReplayEvent(c.Body())
	if err != nil {
		return apierr.New(apierr.CodeInvalidReplayEvent)
	}
	kind := map[string]string{ReplayView: events.AudienceJoined, ReplayChapter: events.AudienceChapter, ReplayClick: events.AudienceClick, ReplayCart: events.AudienceCart}[ev.Kind]
	h.Service.Record(events.AudienceEvent{Room: sh.Room, Kind: kind, Viewer: "replay-" + ev.Viewer, ProductID: ev.ProductID,
		Referrer: ev.Referrer, Replay: true, At: h.Service.opts.Now().UTC().Truncate(time.Millisecond)})
	return c.SendStatus(fiber.StatusAccepted)
}
