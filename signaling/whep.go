package signaling

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling/room"
)

// viewer returns who is asking: the admin, a user token's identity (the
// Authorization header; never a token in the URL), the identity of the
// grant another node's 307 carried (?grant=: a browser drops the header on
// a redirect to another origin), or a fresh anonymous identity when no
// token was presented. A presented token that does not verify is a 401.
func (s requests) viewer(c *fiber.Ctx, roomID string) (auth.Principal, error) {
	return s.opt.Auth.Request(c, auth.Admin|auth.User|auth.AllowAnonymous|auth.PlaybackGrant, roomID)
}

// whep answers POST /whep/{room}: a viewer's offer.
func (s *Service) whep(c *fiber.Ctx) error { return s.subscribe(c, "") }

// whepSource answers POST /whep/{room}/sources/{source}: a viewer's offer
// for one of the room's extra video sources.
func (s *Service) whepSource(c *fiber.Ctx) error {
	src, err := sourceParam(c)
	if err != nil {
		return err
	}
	return s.subscribe(c, src)
}

// subscribe answers a viewer's offer for the room's source ("" the main).
func (s *Service) subscribe(c *fiber.Ctx, source string) error {
	rm, err := s.loadRoom(c)
	if err != nil {
		return err
	}
	p, err := requests{s}.viewer(c, rm.ID)
	if err != nil {
		return err
	}
	if err := mayView(rm, p); err != nil {
		return err
	}
	pass, err := requests{s}.admitTicket(c.UserContext(), rm.ID, p)
	if err != nil {
		return err
	}
	if err := maySee(p, pass, source); err != nil {
		return err
	}
	media := sourceRoom(rm.ID, source)
	who := p.Identity
	layer, ok := normalizeLayer(strings.Clone(c.Query("layer")))
	if !ok {
		return apierr.New(apierr.CodeInvalidLayer)
	}
	// The publisher is on another node, or this node drains or is full:
	// send the viewer to the least-loaded node serving the room with its
	// query (the client re-POSTs the offer to the Location).
	if rm.State != room.StateEnded {
		if source == "" && !s.drain.active() && !(placement{s}).full() {
			s.edges.ensure(rm.ID) // cascade: a local source, when it can be linked
		}
		if done, err := s.cluster.redirectToOwner(c, kindWHEP, media, sourcePath(kindWHEP, rm.ID, source)); done || err != nil {
			return err
		}
	}
	offer, info, err := requests{s}.readOffer(c)
	if err != nil {
		return err
	}
	if rm.State == room.StateEnded {
		return apierr.New(apierr.CodeRoomEnded)
	}
	admitted := func() {}
	if !who.Admin {
		if admitted, err = s.admitWHEP.admit(c); err != nil {
			return err
		}
	}
	ctx, cancel := s.signalCtx()
	defer cancel()
	req := sfu.SubscribeRequest{Room: media, OfferSDP: offer, Layer: layer}
	if source == "" {
		req.OnDataChannel = requests{s}.dataChannels(rm.ID, who, false)
	}
	sess, err := s.opt.Engine.Subscribe(ctx, req)
	if err != nil {
		admitted()
		if errors.Is(err, sfu.ErrNotLive) {
			c.Set("Livesell-Room-State", string(rm.State))
		}
		return engineError(err)
	}
	r := &resource{
		id: auth.RandomSecret(16), kind: kindWHEP, room: rm.ID, who: who, sess: sess,
		mids: info.Mids, kinds: info.Kinds, etag: newETag(), remoteUfrag: info.Ufrag,
		admitted: admitted, candidates: info.Candidates, source: source, ticketed: pass != nil,
		ref: viewerReferrer(c),
	}
	// The viewer counts (RoomEvents.ViewerJoined) once its ICE connected.
	if err := s.track(r); err != nil {
		return err
	}
	s.log.Info("viewing", "room", rm.ID, "source", source, "session", r.id, "user", who.UserID)
	return s.answer(c, r)
}

// setLayer answers PATCH /whep/{room}/{session}/layer with {"layer": "h"}.
func (s requests) setLayer(c *fiber.Ctx) error {
	r, err := s.session(c, kindWHEP)
	if err != nil {
		return err
	}
	if !r.patches.Allow() {
		return apierr.E(apierr.CodeRateLimited, "too many PATCH requests on this session")
	}
	if !IsContentType(c.Get(fiber.HeaderContentType), ContentTypeJSON) {
		return apierr.E(apierr.CodeUnsupportedMediaType, "the body must be %s", ContentTypeJSON)
	}
	layer, err := parseLayerRequest(c.Body())
	if err != nil {
		return err
	}
	if err := r.sess.SetLayer(layer); err != nil {
		return engineError(err)
	}
	if layer == "" {
		layer = "auto"
	}
	return c.JSON(fiber.Map{"layer": layer})
}
