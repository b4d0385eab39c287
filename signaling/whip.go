package signaling

import (
	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling/room"
)

// publisher authenticates a WHIP request: a push key of the room. The
// admin token administers rooms but does not publish: publishing needs a
// key that revocation can take back.
func (s requests) publisher(c *fiber.Ctx, roomID string) (auth.Principal, error) {
	p, err := s.opt.Auth.Request(c, auth.Admin|auth.PushKey, roomID)
	if err == nil && p.Kind == auth.KindAdmin {
		err = apierr.New(apierr.CodePushKeyRequired)
	}
	return p, err
}

// whip answers POST /whip/{room}: a publisher's offer.
func (s *Service) whip(c *fiber.Ctx) error { return s.publish(c, "") }

// whipSource answers POST /whip/{room}/sources/{source}: the offer of a
// second publisher of the room (e.g. the backstage camera), with the
// room's push key. It neither makes the room live nor ends it.
func (s *Service) whipSource(c *fiber.Ctx) error {
	src, err := sourceParam(c)
	if err != nil {
		return err
	}
	return s.publish(c, src)
}

// publish answers a publisher's offer for the room's source ("" the main).
func (s *Service) publish(c *fiber.Ctx, source string) error {
	rm, err := s.loadRoom(c)
	if err != nil {
		return err
	}
	media := sourceRoom(rm.ID, source)
	pub, err := requests{s}.publisher(c, rm.ID)
	if err != nil {
		return err
	}
	if err := s.drain.refuse(); err != nil {
		return err
	}
	keyID := pub.KeyID
	offer, info, err := requests{s}.readOffer(c)
	if err != nil {
		return err
	}
	if rm.State == room.StateEnded {
		return apierr.New(apierr.CodeRoomEnded)
	}
	if rm.State == room.StateCancelled {
		return apierr.New(apierr.CodeShowCancelled)
	}
	// One publisher per room across the cluster: take the room's claim
	// first; a crashed node's claim stops it only until its TTL runs out.
	admitted, err := s.admitWHIP.admit(c)
	if err != nil {
		return err
	}
	release, lost, err := s.cluster.claimRoom(media)
	if err != nil {
		admitted()
		return err
	}
	who := pub.Identity
	s.edges.yield(rm.ID) // cascade: the room's publisher is now here
	ctx, cancel := s.signalCtx()
	defer cancel()
	req := sfu.PublishRequest{Room: media, OfferSDP: offer}
	if source == "" { // the room channel is the main publisher's
		req.OnDataChannel = requests{s}.dataChannels(rm.ID, who, true)
	}
	sess, err := s.opt.Engine.Publish(ctx, req)
	if err != nil {
		release()
		admitted()
		return engineError(err)
	}
	r := &resource{
		id: auth.RandomSecret(16), kind: kindWHIP, room: rm.ID, keyID: keyID, who: who, sess: sess,
		mids: info.Mids, kinds: info.Kinds, etag: newETag(), remoteUfrag: info.Ufrag,
		release: release, lost: lost, admitted: admitted, candidates: info.Candidates, source: source,
	}
	if err := s.track(r); err != nil {
		release() // the watcher that would have released it never started
		return err
	}
	if source == "" {
		s.liveChanged(rm.ID, true)
	}
	// The room may have been ended, or the key revoked, while the engine
	// answered; re-check both now that the session can be found.
	if cur, err := s.opt.Rooms.Get(c.UserContext(), rm.ID); err == nil && cur.State == room.StateEnded {
		sess.Close()
		return apierr.New(apierr.CodeRoomEnded)
	}
	if revoked, err := s.opt.Keys.Revoked(c.UserContext(), []string{keyID}); err != nil || len(revoked) > 0 {
		sess.Close()
		if err != nil {
			return roomError(err)
		}
		return apierr.New(apierr.CodePushKeyRevoked)
	}
	s.log.Info("publishing", "room", rm.ID, "source", source, "session", r.id, "key", keyID)
	return s.answer(c, r)
}
