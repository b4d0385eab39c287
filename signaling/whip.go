package signaling

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/room"
)

// anchorIdentity is who the interaction layer sees behind a publisher's
// data channel.
func anchorIdentity(roomID string) auth.Identity {
	return auth.Identity{UserID: "anchor-" + roomID, Name: "anchor"}
}

// pushKey authenticates a request with the room's push key (or the admin
// token) and returns the key's id ("" for the admin token).
func (s *Service) pushKey(c *fiber.Ctx, roomID string) (string, error) {
	tok := auth.BearerToken(c.Get(fiber.HeaderAuthorization))
	if tok == "" {
		return "", apierr.Unauthorized("missing_push_key", "a push key is required: Authorization: Bearer <push key>")
	}
	if auth.SecretEqual(tok, s.opt.AdminToken) {
		return "", nil
	}
	if err := s.checkFailures(c); err != nil {
		return "", err
	}
	k, err := s.opt.Rooms.VerifyPushKey(c.UserContext(), roomID, tok)
	if err != nil {
		if errors.Is(err, room.ErrBadKey) || errors.Is(err, room.ErrKeyRevoked) {
			s.failures.fail(strings.Clone(c.IP()))
		}
		return "", roomError(err)
	}
	return k.ID, nil
}

// requireAnchor admits the admin token or a push key of the room in the
// path: what the anchor's studio holds, so the anchor can end the live.
func (s *Service) requireAnchor(c *fiber.Ctx) error {
	if _, err := s.pushKey(c, c.Params("room")); err != nil {
		return err
	}
	return c.Next()
}

// whip answers POST /whip/{room}: a publisher's offer.
func (s *Service) whip(c *fiber.Ctx) error {
	rm, err := s.loadRoom(c)
	if err != nil {
		return err
	}
	keyID, err := s.pushKey(c, rm.ID)
	if err != nil {
		return err
	}
	if keyID == "" {
		// The admin token administers rooms; publishing needs a push key,
		// which revocation can take back.
		return apierr.Forbidden("push_key_required", "publish with a push key of the room, not the admin token")
	}
	offer, info, err := s.readOffer(c)
	if err != nil {
		return err
	}
	if rm.State == room.StateEnded {
		return apierr.Conflict("room_ended", "the live in this room has ended")
	}
	// One publisher per room across the cluster: take the room's claim
	// first; a crashed node's claim stops it only until its TTL runs out.
	release, err := s.claimRoom(rm.ID)
	if err != nil {
		return err
	}
	who := anchorIdentity(rm.ID)
	ctx, cancel := s.signalCtx()
	defer cancel()
	sess, err := s.opt.Engine.Publish(ctx, PublishRequest{
		Room:          rm.ID,
		OfferSDP:      offer,
		OnDataChannel: s.dataChannels(rm.ID, who, true),
	})
	if err != nil {
		release()
		return engineError(err)
	}
	r := &resource{
		id: auth.RandomSecret(16), kind: kindWHIP, room: rm.ID, keyID: keyID, who: who, sess: sess,
		mids: info.Mids, kinds: info.Kinds, etag: newETag(), remoteUfrag: info.Ufrag,
		release: release,
	}
	if err := s.track(r); err != nil {
		release() // the watcher that would have released it never started
		return err
	}
	s.syncState(rm.ID)
	// The room may have been ended, or the key revoked, while the engine
	// answered; re-check both now that the session can be found.
	if cur, err := s.opt.Rooms.Get(c.UserContext(), rm.ID); err == nil && cur.State == room.StateEnded {
		sess.Close()
		return apierr.Conflict("room_ended", "the live in this room has ended")
	}
	if _, err := s.opt.Rooms.VerifyPushKey(c.UserContext(), rm.ID, auth.BearerToken(c.Get(fiber.HeaderAuthorization))); err != nil {
		sess.Close()
		return roomError(err)
	}
	s.log.Info("publishing", "room", rm.ID, "session", r.id, "key", keyID)
	return s.answer(c, r)
}

// checkFailures answers 429 to a client that failed too many push-key or
// token checks.
func (s *Service) checkFailures(c *fiber.Ctx) error {
	if s.failures.blocked(c.IP()) {
		return apierr.TooManyRequests("too_many_failures", "too many failed authentications; slow down").WithRetryAfter(failRetryAfter)
	}
	return nil
}
