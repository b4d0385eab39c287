package interaction

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	fiberws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/interaction/moderation"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// Mount registers the interaction routes on r:
//
//	GET    /ws/rooms/:room                     the room's event stream (WebSocket)
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
	r.Get("/ws/rooms/:room", h.wsPrecheck, fiberws.New(h.serveWS, fiberws.Config{
		Origins:          origins,
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	}))
	r.Get("/api/rooms/:room/online", h.getOnline)
	mod := h.requireModerator
	r.Get("/api/rooms/:room/timeline", mod, h.getTimeline)
	r.Post("/api/rooms/:room/mutes", mod, h.postSanction(false))
	r.Delete("/api/rooms/:room/mutes/:user", mod, h.deleteSanction(false))
	r.Post("/api/rooms/:room/bans", mod, h.postSanction(true))
	r.Delete("/api/rooms/:room/bans/:user", mod, h.deleteSanction(true))
	r.Delete("/api/rooms/:room/danmaku/:id", mod, h.deleteDanmaku)
	r.Put("/api/rooms/:room/pinned", mod, h.putPinned)
	admin := auth.RequireAdmin(h.opts.AdminToken)
	r.Get("/api/moderation/words", admin, h.getWords)
	r.Put("/api/moderation/words", admin, h.putWords)
}

// requireModerator admits the admin token or the room's push key (as a
// bearer token) for the room in the path.
func (h *Hub) requireModerator(c *fiber.Ctx) error {
	roomID := param(c, "room")
	if err := h.checkRoom(c.UserContext(), roomID); err != nil {
		return err
	}
	tok := auth.BearerToken(c.Get(fiber.HeaderAuthorization))
	if tok == "" {
		return apierr.Unauthorized("missing_token", "the admin token or the room's push key is required")
	}
	if auth.SecretEqual(tok, h.opts.AdminToken) {
		return c.Next()
	}
	if _, err := h.anchorIdentity(c.UserContext(), roomID, tok); err != nil {
		return err
	}
	return c.Next()
}

func (h *Hub) getOnline(c *fiber.Ctx) error {
	roomID := param(c, "room")
	if err := h.checkRoom(c.UserContext(), roomID); err != nil {
		return err
	}
	online, peak, err := h.Online(c.UserContext(), roomID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"room": roomID, "online": online, "peak": peak})
}

func (h *Hub) getTimeline(c *fiber.Ctx) error {
	s, err := h.RoomStats(c.UserContext(), param(c, "room"))
	if err != nil {
		return err
	}
	return c.JSON(s)
}

type sanctionBody struct {
	UserID  string `json:"user_id"`
	Seconds int    `json:"seconds"`
}

func decodeBody(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return apierr.BadRequest("bad_json", "the body must be a JSON object of this endpoint")
	}
	return nil
}

func (h *Hub) postSanction(ban bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var b sanctionBody
		if err := decodeBody(c, &b); err != nil {
			return err
		}
		if b.UserID == "" || len(b.UserID) > protocol.MaxIDLength {
			return apierr.BadRequest("bad_user_id", "user_id must be 1 to %d bytes", protocol.MaxIDLength)
		}
		if b.Seconds < 0 || b.Seconds > protocol.MaxSanctionSeconds {
			return apierr.BadRequest("bad_seconds", "seconds must be 0 to %d", protocol.MaxSanctionSeconds)
		}
		roomID := param(c, "room")
		d := time.Duration(b.Seconds) * time.Second
		var err error
		if ban {
			err = h.Ban(c.UserContext(), roomID, b.UserID, d)
		} else {
			if d == 0 {
				d = DefaultMute
			}
			err = h.Mute(c.UserContext(), roomID, b.UserID, d)
		}
		if err != nil {
			return err
		}
		out := fiber.Map{"room": roomID, "user_id": b.UserID}
		if d > 0 {
			out["until"] = time.Now().Add(d).UTC()
		}
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

func (h *Hub) deleteSanction(ban bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		roomID, user := param(c, "room"), param(c, "user")
		if user == "" || len(user) > protocol.MaxIDLength {
			return apierr.BadRequest("bad_user_id", "user id must be 1 to %d bytes", protocol.MaxIDLength)
		}
		var err error
		if ban {
			err = h.Unban(c.UserContext(), roomID, user)
		} else {
			err = h.Unmute(c.UserContext(), roomID, user)
		}
		if err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (h *Hub) deleteDanmaku(c *fiber.Ctx) error {
	id := param(c, "id")
	if !protocol.ValidID(id) {
		return apierr.BadRequest("bad_message_id", "malformed message id")
	}
	if err := h.DeleteDanmaku(c.UserContext(), param(c, "room"), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Hub) putPinned(c *fiber.Ctx) error {
	var b struct {
		Text string `json:"text"`
	}
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	text := ""
	if b.Text != "" {
		var err error
		if text, err = h.cleanText(b.Text); err != nil {
			var pe *protocol.Error
			errors.As(err, &pe)
			return apierr.BadRequest(pe.Code, "%s", pe.Message)
		}
	}
	if err := h.Pin(c.UserContext(), param(c, "room"), text); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"text": text})
}

func (h *Hub) getWords(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"words": h.filter.Words()})
}

func (h *Hub) putWords(c *fiber.Ctx) error {
	var b struct {
		Words *[]string `json:"words"`
	}
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	if b.Words == nil {
		return apierr.BadRequest("bad_json", `the body must be {"words": [...]}`)
	}
	if err := h.SetWords(c.UserContext(), *b.Words); err != nil {
		if errors.Is(err, moderation.ErrBadWordList) {
			return apierr.BadRequest("bad_word_list", "%v", err)
		}
		return err
	}
	words := h.filter.Words()
	return c.JSON(fiber.Map{"words": words, "count": len(words)})
}

// param returns a copy of a path parameter: Fiber's values point into a
// buffer that is reused after the handler returns.
func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }
