package signaling

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/room"
)

// viewerToken is the viewer's bearer token: the Authorization header, or
// the token query parameter for players that cannot set headers.
func viewerToken(c *fiber.Ctx) string {
	if tok := auth.BearerToken(c.Get(fiber.HeaderAuthorization)); tok != "" {
		return tok
	}
	return c.Query("token")
}

// viewer returns who is asking: the admin, a user token's identity, or a
// fresh anonymous identity when no token was presented (presented=false).
// A presented token that does not verify is a 401.
func (s *Service) viewer(c *fiber.Ctx) (who auth.Identity, presented bool, err error) {
	tok := viewerToken(c)
	if tok == "" {
		return auth.Anonymous(), false, nil
	}
	if auth.SecretEqual(tok, s.opt.AdminToken) {
		return auth.Identity{UserID: "admin", Admin: true}, true, nil
	}
	if err := s.checkFailures(c); err != nil {
		return auth.Identity{}, true, err
	}
	id, err := s.opt.Users.Verify(c.UserContext(), tok)
	if err != nil {
		s.failures.fail(strings.Clone(c.IP()))
		return auth.Identity{}, true, apierr.Unauthorized("bad_token", "the viewer token is not valid").WithCause(err)
	}
	return id, true, nil
}

// admit checks that who may watch rm.
func admit(rm room.Room, who auth.Identity, presented bool) error {
	if !rm.Private {
		return nil
	}
	if !presented {
		return apierr.Unauthorized("missing_token", "this room is private: a viewer token is required")
	}
	if !who.Admits(rm.ID, true) {
		return apierr.Forbidden("room_forbidden", "the viewer token does not admit this room: private rooms need a viewer token minted for them")
	}
	return nil
}

// whep answers POST /whep/{room}: a viewer's offer.
func (s *Service) whep(c *fiber.Ctx) error {
	rm, err := s.loadRoom(c)
	if err != nil {
		return err
	}
	who, presented, err := s.viewer(c)
	if err != nil {
		return err
	}
	if err := admit(rm, who, presented); err != nil {
		return err
	}
	layer, ok := normalizeLayer(strings.Clone(c.Query("layer")))
	if !ok {
		return apierr.BadRequest("invalid_layer", "layer must be q, h, f, low, mid, high, auto or a rid")
	}
	// The publisher is on another node: send the viewer there with its
	// query (the client re-POSTs the offer to the Location).
	if rm.State != room.StateEnded {
		if done, err := s.redirectToOwner(c, kindWHEP, rm.ID); done || err != nil {
			return err
		}
	}
	offer, info, err := s.readOffer(c)
	if err != nil {
		return err
	}
	if rm.State == room.StateEnded {
		return apierr.Conflict("room_ended", "the live in this room has ended")
	}
	ctx, cancel := s.signalCtx()
	defer cancel()
	sess, err := s.opt.Engine.Subscribe(ctx, SubscribeRequest{
		Room:          rm.ID,
		OfferSDP:      offer,
		Layer:         layer,
		OnDataChannel: s.dataChannels(rm.ID, who, false),
	})
	if err != nil {
		if errors.Is(err, ErrNotLive) {
			c.Set("Livesell-Room-State", string(rm.State))
		}
		return engineError(err)
	}
	r := &resource{
		id: auth.RandomSecret(16), kind: kindWHEP, room: rm.ID, who: who, sess: sess,
		mids: info.Mids, kinds: info.Kinds, etag: newETag(), remoteUfrag: info.Ufrag,
	}
	if s.opt.Events != nil {
		r.left = s.opt.Events.ViewerJoined(rm.ID, who)
	}
	if err := s.track(r); err != nil {
		if r.left != nil {
			r.left() // the watcher that would have called it never started
		}
		return err
	}
	s.log.Info("viewing", "room", rm.ID, "session", r.id, "user", who.UserID)
	return s.answer(c, r)
}

// setLayer answers PATCH /whep/{room}/{session}/layer with {"layer": "h"}.
func (s *Service) setLayer(c *fiber.Ctx) error {
	r, err := s.session(c, kindWHEP)
	if err != nil {
		return err
	}
	if !r.patches.Allow() {
		return apierr.TooManyRequests("too_many_patches", "too many PATCH requests on this session").WithRetryAfter(time.Second)
	}
	if !IsContentType(c.Get(fiber.HeaderContentType), ContentTypeJSON) {
		return apierr.UnsupportedMediaType("the body must be %s", ContentTypeJSON)
	}
	layer, err := parseLayerRequest(c.Body())
	if err != nil {
		return apierr.BadRequest("invalid_layer", "%s", detail(err)).WithCause(err)
	}
	if err := r.sess.SetLayer(layer); err != nil {
		return engineError(err)
	}
	if layer == "" {
		layer = "auto"
	}
	return c.JSON(fiber.Map{"layer": layer})
}
