package interaction

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/interaction/moderation"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// api is interaction's HTTP surface. Handlers answer catalogue errors
// (internal/apierr) and never choose a status; credentials are checked by
// the hub's Credentials.
type api struct {
	h  *Hub
	ws *wsServer
}

// Mount registers the interaction routes on r:
//
//	GET    /ws/rooms/:room                     the room's event stream (WebSocket; credentials in the first hello)
//	GET    /api/rooms/:room/online             {online, peak} (public)
//	GET    /api/rooms/:room/timeline           counters and viewers over time (admin or push key)
//	POST   /api/rooms/:room/mutes              {user_id, seconds} (admin or push key)
//	DELETE /api/rooms/:room/mutes/:user
//	POST   /api/rooms/:room/bans               {user_id, seconds?}
//	DELETE /api/rooms/:room/bans/:user
//	DELETE /api/rooms/:room/danmaku/:id        remove a danmaku everywhere
//	PUT    /api/rooms/:room/pinned             {text} ("" unpins)
//	GET    /api/moderation/words               {words} (admin)
//	PUT    /api/moderation/words               {words} (admin)
func (h *Hub) Mount(r fiber.Router, origins []string) {
	a := &api{h: h, ws: &wsServer{h: h, perIP: map[string]int{}}}
	r.Get("/ws/rooms/:room", a.ws.precheck, a.ws.handler(origins))
	r.Get("/api/rooms/:room/online", a.getOnline)
	mod := a.requireModerator
	r.Get("/api/rooms/:room/timeline", mod, a.getTimeline)
	r.Post("/api/rooms/:room/mutes", mod, a.postSanction(false))
	r.Delete("/api/rooms/:room/mutes/:user", mod, a.deleteSanction(false))
	r.Post("/api/rooms/:room/bans", mod, a.postSanction(true))
	r.Delete("/api/rooms/:room/bans/:user", mod, a.deleteSanction(true))
	r.Delete("/api/rooms/:room/danmaku/:id", mod, a.deleteDanmaku)
	r.Put("/api/rooms/:room/pinned", mod, a.putPinned)
	r.Get("/api/moderation/words", a.requireAdmin, a.getWords)
	r.Put("/api/moderation/words", a.requireAdmin, a.putWords)
}

// requireModerator admits the admin token or the room's push key (as a
// bearer token) for the room in the path.
func (a *api) requireModerator(c *fiber.Ctx) error {
	roomID := param(c, "room")
	if err := checkRoom(c.UserContext(), a.h.opts.Rooms, roomID); err != nil {
		return err
	}
	cred := auth.Credential{Token: auth.BearerToken(c.Get(fiber.HeaderAuthorization)), Room: roomID, Addr: auth.ClientAddr(c)}
	if _, err := a.h.opts.Credentials.Check(c.UserContext(), cred, auth.Admin|auth.PushKey); err != nil {
		return err
	}
	return c.Next()
}

// requireAdmin admits the admin token.
func (a *api) requireAdmin(c *fiber.Ctx) error {
	cred := auth.Credential{Token: auth.BearerToken(c.Get(fiber.HeaderAuthorization)), Addr: auth.ClientAddr(c)}
	if _, err := a.h.opts.Credentials.Check(c.UserContext(), cred, auth.Admin); err != nil {
		return err
	}
	return c.Next()
}

// checkRoom returns a catalogue error for a malformed or unknown room
// (every well-formed room exists when rooms is nil).
// admitted applies auth.Admit to a known room: a private room's counts are
// told only to who may enter it (#11.16).
func (a *api) admitted(c *fiber.Ctx, roomID string) error {
	if a.h.opts.Rooms == nil {
		return nil
	}
	info, err := a.h.opts.Rooms.RoomInfo(c.UserContext(), roomID)
	if err != nil || !info.Private {
		return nil // checkRoom has answered lookup errors
	}
	cred := auth.Credential{Token: auth.BearerToken(c.Get(fiber.HeaderAuthorization)), Room: roomID, Addr: auth.ClientAddr(c)}
	p, err := a.h.opts.Credentials.Check(c.UserContext(), cred, auth.Admin|auth.PushKey|auth.User|auth.AllowAnonymous)
	if err != nil {
		return err
	}
	return auth.Admit(p, roomID, true)
}

func checkRoom(ctx context.Context, rooms Rooms, roomID string) error {
	if !roomid.Valid(roomID) {
		return apierr.New(apierr.CodeInvalidRoomID)
	}
	if rooms == nil {
		return nil
	}
	if _, err := rooms.RoomInfo(ctx, roomID); err != nil {
		if errors.Is(err, ErrUnknownRoom) {
			return apierr.E(apierr.CodeRoomNotFound, "no room %s", roomID).WithCause(err)
		}
		return apierr.Internal(err)
	}
	return nil
}

func (a *api) getOnline(c *fiber.Ctx) error {
	roomID := param(c, "room")
	if err := checkRoom(c.UserContext(), a.h.opts.Rooms, roomID); err != nil {
		return err
	}
	if err := a.admitted(c, roomID); err != nil {
		return err
	}
	online, peak, err := a.h.Online(c.UserContext(), roomID)
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"room": roomID, "online": online, "peak": peak})
}

func (a *api) getTimeline(c *fiber.Ctx) error {
	s, err := a.h.RoomStats(c.UserContext(), param(c, "room"))
	if err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(s)
}

type sanctionBody struct {
	UserID  string `json:"user_id"`
	Seconds int    `json:"seconds"`
}

// decodeBody is the one JSON body decoder of the API.
func decodeBody(c *fiber.Ctx, v any) error { return apierr.JSONBody(c, v) }

func (a *api) postSanction(ban bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b sanctionBody
		if err := decodeBody(c, &b); err != nil {
			return err
		}
		if b.UserID == "" || len(b.UserID) > protocol.MaxIDLength {
			return apierr.E(apierr.CodeInvalidUserID, "user_id must be 1 to %d bytes", protocol.MaxIDLength)
		}
		if b.Seconds < 0 || b.Seconds > protocol.MaxSanctionSeconds {
			return apierr.E(apierr.CodeInvalidRequest, "seconds must be 0 to %d", protocol.MaxSanctionSeconds)
		}
		roomID := param(c, "room")
		d := time.Duration(b.Seconds) * time.Second
		mod := a.h.mod
		var err error
		if ban {
			err = mod.Ban(c.UserContext(), roomID, b.UserID, d)
		} else {
			if d == 0 {
				d = DefaultMute
			}
			err = mod.Mute(c.UserContext(), roomID, b.UserID, d)
		}
		if err != nil {
			return apierr.Internal(err)
		}
		out := fiber.Map{"room": roomID, "user_id": b.UserID}
		if d > 0 {
			out["until"] = a.h.now().Add(d).UTC()
		}
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

func (a *api) deleteSanction(ban bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		roomID, user := param(c, "room"), param(c, "user")
		if user == "" || len(user) > protocol.MaxIDLength {
			return apierr.E(apierr.CodeInvalidUserID, "user id must be 1 to %d bytes", protocol.MaxIDLength)
		}
		var err error
		if ban {
			err = a.h.mod.Unban(c.UserContext(), roomID, user)
		} else {
			err = a.h.mod.Unmute(c.UserContext(), roomID, user)
		}
		if err != nil {
			return apierr.Internal(err)
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (a *api) deleteDanmaku(c *fiber.Ctx) error {
	id := param(c, "id")
	if !protocol.ValidID(id) {
		return apierr.E(apierr.CodeInvalidRequest, "malformed message id")
	}
	if err := a.h.mod.DeleteDanmaku(c.UserContext(), param(c, "room"), id); err != nil {
		return apierr.Internal(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (a *api) putPinned(c *fiber.Ctx) error {
	var b struct {
		Text string `json:"text"`
	}
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	text := ""
	if b.Text != "" {
		var err error
		if text, err = cleanText(b.Text, a.h.opts.Chat.MaxDanmakuRunes); err != nil {
			var pe *protocol.Error
			errors.As(err, &pe)
			return apierr.E(apierr.Code(pe.Code), "%s", pe.Message)
		}
	}
	if err := a.h.mod.Pin(c.UserContext(), param(c, "room"), text); err != nil {
		return apierr.Internal(err)
	}
	return c.JSON(fiber.Map{"text": text})
}

func (a *api) getWords(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"words": a.h.mod.Words()})
}

func (a *api) putWords(c *fiber.Ctx) error {
	var b struct {
		Words *[]string `json:"words"`
	}
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Words == nil {
		return apierr.E(apierr.CodeInvalidJSON, `the body must be {"words": [...]}`)
	}
	if err := a.h.mod.SetWords(c.UserContext(), *b.Words); err != nil {
		if errors.Is(err, moderation.ErrBadWordList) {
			return apierr.E(apierr.CodeInvalidRequest, "%v", err)
		}
		return apierr.Internal(err)
	}
	words := a.h.mod.Words()
	return c.JSON(fiber.Map{"words": words, "count": len(words)})
}

// param returns a copy of a path parameter: Fiber's values point into a
// buffer that is reused after the handler returns.
func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }
