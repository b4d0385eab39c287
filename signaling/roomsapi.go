package signaling

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/room"
)

// roomsAPI serves the operator's room and push-key API (/api/rooms…) for
// its Service.
type roomsAPI struct{ s *Service }

// roomView is a room as the API shows it.
type roomView struct {
	room.Room
	// WHEPURL is where viewers play the room.
	WHEPURL string `json:"whep_url"`
	// WHIPURL is where the anchor publishes (operator views only).
	WHIPURL string `json:"whip_url,omitempty"`
	// Live is true while this node has the room's publisher.
	Live bool `json:"live"`
	// Viewers counts the room's WHEP sessions on this node.
	Viewers int `json:"viewers"`
}

func (a roomsAPI) view(c *fiber.Ctx, r room.Room, operator bool) roomView {
	_, viewers := a.s.sessions.counts()
	return a.viewWith(c, r, operator, viewers)
}

// viewWith builds a roomView with viewer counts taken once for a whole list.
func (a roomsAPI) viewWith(c *fiber.Ctx, r room.Room, operator bool, viewers map[string]int) roomView {
	base := baseURL(&a.s.opt, c)
	v := roomView{Room: r, WHEPURL: base + "/whep/" + r.ID, Live: a.s.opt.Engine.RoomLive(r.ID), Viewers: viewers[r.ID]}
	v.State = r.Shown(time.Now())
	if operator {
		v.WHIPURL = base + "/whip/" + r.ID
	}
	return v
}

// caller is who is asking on an endpoint anyone may read: the admin, a
// push key of roomID, a user token, or anonymous. A token that is presented
// must verify.
func (a roomsAPI) caller(c *fiber.Ctx, roomID string) (auth.Principal, error) {
	return a.s.opt.Auth.Request(c, auth.Admin|auth.PushKey|auth.User|auth.AllowAnonymous, roomID)
}

// mayView checks that p may see and join rm (auth.Admit, the one rule): a
// private room's title, state, counts and media are not public.
func mayView(rm room.Room, p auth.Principal) error { return auth.Admit(p, rm.ID, rm.Private) }

// keyView is a push key record, with the plaintext only when just issued.
type keyView struct {
	room.Key
	PushKey string `json:"push_key,omitempty"`
}

// createRoom answers POST /api/rooms: the room and its first push key.
func (a roomsAPI) createRoom(c *fiber.Ctx) error {
	n, err := parseCreateRoom(c.Body(), a.s.opt.AnonymousChatDefault)
	if err != nil {
		return err
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
	a.s.log.Info("room created", "room", r.ID, "key", k.ID)
	return c.Status(fiber.StatusCreated).JSON(struct {
		roomView
		PushKey   string `json:"push_key"`
		PushKeyID string `json:"push_key_id"`
	}{a.view(c, r, true), plain, k.ID})
}

// listRooms answers GET /api/rooms: every room for the operator, public
// rooms for anyone else. Query: limit (1-500, default 100), offset.
func (a roomsAPI) listRooms(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0, 0, 1_000_000)
	if err != nil {
		return err
	}
	p, err := a.caller(c, "")
	if err != nil {
		return err
	}
	op := p.Kind == auth.KindAdmin
	rooms, err := a.s.opt.Rooms.List(c.UserContext(), room.ListOptions{Limit: limit, Offset: offset, PublicOnly: !op})
	if err != nil {
		return roomError(err)
	}
	_, viewers := a.s.sessions.counts()
	views := make([]roomView, len(rooms))
	for i, r := range rooms {
		views[i] = a.viewWith(c, r, op, viewers)
	}
	return c.JSON(fiber.Map{"rooms": views})
}

func queryInt(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, apierr.E(apierr.CodeInvalidRequest, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// getRoom answers GET /api/rooms/{room}: anyone may read a public room;
// a private one needs admission (mayView).
func (a roomsAPI) getRoom(c *fiber.Ctx) error {
	r, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	p, err := a.caller(c, r.ID)
	if err != nil {
		return err
	}
	if err := mayView(r, p); err != nil {
		return err
	}
	return c.JSON(a.view(c, r, p.Kind == auth.KindAdmin))
}

// patchRoom answers PATCH /api/rooms/{room}.
func (a roomsAPI) patchRoom(c *fiber.Ctx) error {
	before, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	p, err := parsePatchRoom(c.Body())
	if err != nil {
		return err
	}
	r, err := a.s.opt.Rooms.Update(c.UserContext(), param(c, "room"), p)
	if err != nil {
		return roomError(err)
	}
	a.startsAtChanged(c.UserContext(), before, r)
	return c.JSON(a.view(c, r, true))
}

// endRoom answers POST /api/rooms/{room}/end: the state becomes ended and
// every session of the room (publisher and viewers) is closed.
func (a roomsAPI) endRoom(c *fiber.Ctx) error {
	r, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	r, err = a.s.opt.Rooms.SetState(c.UserContext(), r.ID, room.StateEnded)
	if err != nil {
		return roomError(err)
	}
	n, publishers := 0, 0
	for _, res := range a.s.sessions.inRoom(r.ID) {
		if res.kind == kindWHIP {
			publishers++
		}
		res.sess.Close()
		n++
	}
	// A publisher's session ending tells interaction (liveChanged); a room
	// ended while its anchor was away has none here, so tell it now: it
	// reads the ended state from the store (the room's pages, the report).
	if publishers == 0 && a.s.opt.Events != nil {
		a.s.opt.Events.RoomLive(r.ID, false)
	}
	a.s.log.Info("live ended", "room", r.ID, "sessions", n)
	return c.JSON(a.view(c, r, true))
}

// issueKey answers POST /api/rooms/{room}/keys.
func (a roomsAPI) issueKey(c *fiber.Ctx) error {
	r, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	k, plain, err := a.s.opt.Keys.IssueKey(c.UserContext(), r.ID)
	if err != nil {
		return roomError(err)
	}
	return c.Status(fiber.StatusCreated).JSON(keyView{Key: k, PushKey: plain})
}

// listKeys answers GET /api/rooms/{room}/keys.
func (a roomsAPI) listKeys(c *fiber.Ctx) error {
	keys, err := a.s.opt.Keys.ListKeys(c.UserContext(), param(c, "room"))
	if err != nil {
		return roomError(err)
	}
	return c.JSON(fiber.Map{"keys": keys})
}

// rotateKey answers POST /api/rooms/{room}/keys/{key}/rotate: the old key
// is revoked (its live publish ends) and a new one issued.
func (a roomsAPI) rotateKey(c *fiber.Ctx) error {
	roomID, keyID := param(c, "room"), param(c, "key")
	if !roomid.Valid(roomID) {
		return apierr.New(apierr.CodeRoomNotFound)
	}
	k, plain, err := a.s.opt.Keys.RotateKey(c.UserContext(), roomID, keyID)
	if err != nil {
		return roomError(err)
	}
	ended := a.s.revoke.kickKey(keyID)
	return c.Status(fiber.StatusCreated).JSON(struct {
		keyView
		RevokedKeyID    string `json:"revoked_key_id"`
		PublishersEnded int    `json:"publishers_ended"`
	}{keyView{Key: k, PushKey: plain}, keyID, ended})
}

// revokeKey answers DELETE /api/rooms/{room}/keys/{key}: the key stops
// working and the live publish made with it ends now.
func (a roomsAPI) revokeKey(c *fiber.Ctx) error {
	roomID, keyID := param(c, "room"), param(c, "key")
	if !roomid.Valid(roomID) {
		return apierr.New(apierr.CodeRoomNotFound)
	}
	k, err := a.s.opt.Keys.RevokeKey(c.UserContext(), roomID, keyID)
	if err != nil {
		return roomError(err)
	}
	ended := a.s.revoke.kickKey(keyID)
	return c.JSON(struct {
		room.Key
		PublishersEnded int `json:"publishers_ended"`
	}{k, ended})
}

// viewerToken answers POST /api/rooms/{room}/viewer-tokens: a user token
// limited to this room, for private rooms.
func (a roomsAPI) viewerToken(c *fiber.Ctx) error {
	r, err := a.s.loadRoom(c)
	if err != nil {
		return err
	}
	userID, name, ttl, err := parseViewerToken(c.Body(), a.s.opt.TokenTTL)
	if err != nil {
		return err
	}
	tok, exp, err := a.s.opt.Auth.Users().Mint(userID, name, ttl, r.ID)
	if err != nil {
		return apierr.Internal(err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"token":      tok,
		"expires_at": exp.UTC().Format(time.RFC3339),
		"room":       r.ID,
		"user_id":    userID,
		"whep_url":   baseURL(&a.s.opt, c) + "/whep/" + r.ID,
	})
}
