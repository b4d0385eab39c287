package signaling

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/room"
)

// Labels of the data channels handed to the interaction layer: the
// reliable, ordered room channel, and the optional unordered one without
// retransmissions that carries danmaku and like batches.
const (
	DataChannelLabel      = "livesell"
	LossyDataChannelLabel = "livesell-lossy"
)

// Mount registers the room API, WHIP and WHEP routes on r.
func (s *Service) Mount(r fiber.Router) {
	admin := s.opt.Auth.Require(auth.Admin)
	rooms := roomsAPI{s}

	r.Post("/api/rooms", admin, rooms.createRoom)
	r.Get("/api/rooms", rooms.listRooms)
	r.Get("/api/rooms/:room", rooms.getRoom)
	r.Patch("/api/rooms/:room", admin, rooms.patchRoom)
	r.Post("/api/rooms/:room/end", admin, rooms.endRoom) // for good: the operator's call, not a push key's
	r.Post("/api/rooms/:room/reopen", admin, rooms.reopenRoom)
	r.Post("/api/rooms/:room/cancel", admin, rooms.cancelRoom)
	r.Post("/api/rooms/:room/clone", admin, rooms.cloneRoom)
	r.Post("/api/rooms/:room/keys", admin, rooms.issueKey)
	r.Get("/api/rooms/:room/keys", admin, rooms.listKeys)
	r.Post("/api/rooms/:room/keys/:key/rotate", admin, rooms.rotateKey)
	r.Delete("/api/rooms/:room/keys/:key", admin, rooms.revokeKey)
	r.Post("/api/rooms/:room/viewer-tokens", admin, rooms.viewerToken)

	for _, k := range []kind{kindWHIP, kindWHEP} {
		base := "/" + k.String()
		r.Use(base, s.countRequests(k.String()))
		// Get also answers HEAD.
		r.Get(base+"/:room", s.endpointInfo(k))
		r.Options(base+"/:room", endpointOptions)
		r.Get(base+"/:room/:session", s.sessionInfo(k))
		r.Options(base+"/:room/:session", sessionOptions)
		r.Patch(base+"/:room/:session", s.patchSession(k))
		r.Delete(base+"/:room/:session", s.deleteSession(k))
	}
	r.Post("/whip/:room", s.whip)
	r.Post("/whep/:room", s.whep)
	r.Post("/whip/:room/sources/:source", s.whipSource)
	r.Post("/whep/:room/sources/:source", s.whepSource)
	r.Get("/api/rooms/:room/pass", rooms.getPass)
	r.Post("/relay/:room", relayEndpoint{s}.relay) // cascade.go: edges' links
	r.Patch("/whep/:room/:session/layer", requests{s}.setLayer)
	r.Options("/whep/:room/:session/layer", layerOptions)
}

// countRequests counts WHIP/WHEP requests by method and final status.
func (s *Service) countRequests(res string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			var fe *fiber.Error
			if errors.As(err, &fe) {
				status = fe.Code
			} else {
				status = apierr.From(err).Status
			}
		}
		s.metrics.request(res, methodLabel(c.Method()), status)
		return err
	}
}

// methodLabel is a constant copy of an HTTP method for a metric label
// (Fiber's strings are views into a buffer it reuses).
func methodLabel(m string) string {
	for _, known := range [...]string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions} {
		if m == known {
			return known
		}
	}
	return "OTHER"
}

// param returns a route parameter as a string the caller may keep (Fiber's
// are views into a reused buffer).
func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }

// loadRoom returns the room named by the :room parameter, or a 404.
func (s *Service) loadRoom(c *fiber.Ctx) (room.Room, error) {
	id := param(c, "room")
	if !roomid.Valid(id) {
		return room.Room{}, apierr.New(apierr.CodeRoomNotFound)
	}
	r, err := s.opt.Rooms.Get(c.UserContext(), id)
	if err != nil {
		return room.Room{}, roomError(err)
	}
	return r, nil
}

// baseURL is where clients reach this node: PublicURL, or the request's
// scheme and host.
func baseURL(o *Options, c *fiber.Ctx) string {
	if o.PublicURL != "" {
		return strings.TrimRight(o.PublicURL, "/")
	}
	return c.BaseURL()
}

// location is the Location of a session resource: absolute under
// PublicURL, else an absolute path.
func location(o *Options, k kind, roomID, id string) string {
	return strings.TrimRight(o.PublicURL, "/") + "/" + k.String() + "/" + roomID + "/" + id
}

// requests reads what a WHIP or WHEP request brings — its credential, its
// ticket, its body and offer — and hands a session's data channels on:
// the Service's handlers call it, and it holds nothing of its own.
type requests struct{ *Service }

// readBody enforces the content type and the body limit (on Content-Length
// and on the bytes actually read) and returns a copy of the body.
func (s requests) readBody(c *fiber.Ctx, contentType string) ([]byte, error) {
	if !IsContentType(c.Get(fiber.HeaderContentType), contentType) {
		return nil, apierr.E(apierr.CodeUnsupportedMediaType, "the body must be %s", contentType)
	}
	if cl := c.Request().Header.ContentLength(); cl > s.opt.MaxBodyBytes {
		return nil, apierr.E(apierr.CodeBodyTooLarge, "the body is larger than %d bytes", s.opt.MaxBodyBytes)
	}
	body := c.Body()
	if len(body) > s.opt.MaxBodyBytes {
		return nil, apierr.E(apierr.CodeBodyTooLarge, "the body is larger than %d bytes", s.opt.MaxBodyBytes)
	}
	return append([]byte(nil), body...), nil
}

// readOffer reads and pre-validates an SDP offer.
func (s requests) readOffer(c *fiber.Ctx) (string, OfferInfo, error) {
	body, err := s.readBody(c, ContentTypeSDP)
	if err != nil {
		return "", OfferInfo{}, err
	}
	info, err := ValidateOffer(body, s.opt.MaxBodyBytes)
	if err != nil {
		return "", OfferInfo{}, apierr.E(apierr.CodeInvalidSDP, "%s", detail(err)).WithCause(err)
	}
	offer, kept, dropped := s.opt.Candidates.FilterOffer(string(body))
	if dropped > 0 {
		s.log.Info("remote candidates dropped from an offer", "room", c.Params("room"), "kept", kept, "dropped", dropped)
	}
	info.Candidates = kept
	return offer, info, nil
}

// signalCtx bounds one offer/answer exchange. It is tied to the service
// (Close cancels it), not to the request, whose context Fiber never cancels.
func (s *Service) signalCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.opt.SignalTimeout)
}

// dataChannels hands the room's data channels to the interaction layer.
func (s requests) dataChannels(roomID string, who auth.Identity, anchor bool) func(*webrtc.DataChannel) {
	return func(dc *webrtc.DataChannel) {
		if (dc.Label() != DataChannelLabel && dc.Label() != LossyDataChannelLabel) || s.opt.Events == nil {
			s.log.Debug("data channel ignored", "room", roomID, "label", dc.Label())
			return
		}
		s.opt.Events.AttachDataChannel(roomID, who, anchor, dc)
	}
}

// answer writes the 201 Created of a new session resource.
func (s *Service) answer(c *fiber.Ctx, r *resource) error {
	c.Set(fiber.HeaderLocation, location(&s.opt, r.kind, r.room, r.id))
	c.Set(fiber.HeaderETag, r.etag)
	c.Set(fiber.HeaderContentType, ContentTypeSDP)
	c.Set("Accept-Patch", ContentTypeSDPFrag)
	for _, l := range s.links {
		c.Response().Header.Add("Link", l)
	}
	// RFC 9725 section 4.6: the session's own, short-lived TURN credentials.
	for _, l := range s.turn.links(r.who.UserID) {
		c.Response().Header.Add("Link", l)
	}
	return c.Status(fiber.StatusCreated).SendString(r.sess.AnswerSDP())
}

// endpointInfo answers GET and HEAD on /whip/{room} and /whep/{room}:
// 200 for a known room (players use HEAD to discover the endpoint; private
// rooms need admission), or for WHEP a 307 to the node holding the room's publisher.
func (s *Service) endpointInfo(k kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := s.loadRoom(c)
		if err != nil {
			return err
		}
		if r.Private {
			accept := auth.Admin | auth.PushKey | auth.User | auth.AllowAnonymous
			if k == kindWHEP {
				accept |= auth.PlaybackGrant
			}
			p, err := s.opt.Auth.Request(c, accept, r.ID)
			if err != nil {
				return err
			}
			if err := mayView(r, p); err != nil {
				return err
			}
		}
		if k == kindWHEP && r.State != room.StateEnded {
			if done, err := s.cluster.redirectToOwner(c, k, r.ID, sourcePath(k, r.ID, "")); done || err != nil {
				return err
			}
		}
		// As RFC 9725 §4.1 for a WHIP endpoint, on both: 200, the accepted
		// offer type, and the room's state.
		c.Set("Accept-Post", ContentTypeSDP)
		c.Set(fiber.HeaderContentType, ContentTypeSDP)
		c.Set("Livesell-Room-State", string(r.State))
		c.Status(fiber.StatusOK) // and no body
		return nil
	}
}

// endpointOptions answers a non-preflight OPTIONS on an endpoint (CORS
// preflights are answered by the server's CORS middleware).
func endpointOptions(c *fiber.Ctx) error {
	c.Set("Accept-Post", ContentTypeSDP)
	c.Set(fiber.HeaderAllow, "OPTIONS, GET, HEAD, POST")
	return c.SendStatus(fiber.StatusNoContent)
}

// sessionOptions answers a non-preflight OPTIONS on a session resource.
func sessionOptions(c *fiber.Ctx) error {
	c.Set("Accept-Patch", ContentTypeSDPFrag)
	c.Set(fiber.HeaderAllow, "OPTIONS, GET, HEAD, PATCH, DELETE")
	return c.SendStatus(fiber.StatusNoContent)
}

func layerOptions(c *fiber.Ctx) error {
	c.Set("Accept-Patch", ContentTypeJSON)
	c.Set(fiber.HeaderAllow, "OPTIONS, PATCH")
	return c.SendStatus(fiber.StatusNoContent)
}
