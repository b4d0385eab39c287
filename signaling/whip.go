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
func (s *Service) publisher(c *fiber.Ctx, roomID string) (auth.Principal, error) {
	p, err := s.opt.Auth.Request(c, auth.Admin|auth.PushKey, roomID)
	if err == nil && p.Kind == auth.KindAdmin {
		err = apierr.New(apierr.CodePushKeyRequired)
	}
	return p, err
}

// whip answers POST /whip/{room}: a publisher's offer.
func (s *Service) whip(c *fiber.Ctx) error {
	rm, err := s.loadRoom(c)
	if err != nil {
		return err
	}
	pub, err := s.publisher(c, rm.ID)
	if err != nil {
		return err
	}
	keyID := pub.KeyID
	offer, info, err := s.readOffer(c)
	if err != nil {
		return err
	}
	if rm.State == room.StateEnded {
		return apierr.New(apierr.CodeRoomEnded)
	}
	// One publisher per room across the cluster: take the room's claim
	// first; a crashed node's claim stops it only until its TTL runs out.
	admitted, err := s.admitWHIP.admit(c)
	if err != nil {
		return err
	}
	release, lost, err := s.cluster.claimRoom(rm.ID)
	if err != nil {
		admitted()
		return err
	}
	who := pub.Identity
	s.edges.yield(rm.ID) // cascade: the room's publisher is now here
	ctx, cancel := s.signalCtx()
	defer cancel()
	sess, err := s.opt.Engine.Publish(ctx, sfu.PublishRequest{
		Room:          rm.ID,
		OfferSDP:      offer,
		OnDataChannel: s.dataChannels(rm.ID, who, true),
	})
	if err != nil {
		release()
		admitted()
		return engineError(err)
	}
	r := &resource{
		id: auth.RandomSecret(16), kind: kindWHIP, room: rm.ID, keyID: keyID, who: who, sess: sess,
		mids: info.Mids, kinds: info.Kinds, etag: newETag(), remoteUfrag: info.Ufrag,
		release: release, lost: lost, admitted: admitted, candidates: info.Candidates,
	}
	if err := s.track(r); err != nil {
		release() // the watcher that would have released it never started
		return err
	}
	s.liveChanged(rm.ID, true)
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
	s.log.Info("publishing", "room", rm.ID, "session", r.id, "key", keyID)
	return s.answer(c, r)
}
