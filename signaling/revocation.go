package signaling

import (
	"context"
	"time"
)

// revocation ends, on this node, what was taken back elsewhere: the
// publishes of revoked push keys and the sessions of rooms whose live was
// ended (through any node's API).
type revocation struct{ s *Service }

// checkKeys re-checks the push keys of live publishers every
// KeyCheckInterval and ends the sessions whose key was revoked, and the
// sessions of rooms whose live was ended, so that a revocation or an end
// made through another node takes effect here too.
func (rv revocation) checkKeys() {
	defer rv.s.wg.Done()
	t := time.NewTicker(rv.s.opt.KeyCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-rv.s.stop:
			return
		case <-t.C:
		}
		rv.checkRoomsEnded()
		pubs := rv.s.sessions.publishers()
		if len(pubs) == 0 {
			continue
		}
		ids := make([]string, 0, len(pubs))
		for _, r := range pubs {
			ids = append(ids, r.keyID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), rv.s.opt.KeyCheckInterval*4)
		revoked, err := rv.s.opt.Keys.Revoked(ctx, ids)
		cancel()
		if err != nil {
			rv.s.log.Warn("push key check failed", "err", err)
			continue
		}
		for _, id := range revoked {
			rv.kickKey(id)
		}
	}
}

// checkRoomsEnded closes this node's sessions in rooms whose live was
// ended, e.g. through another node's API.
func (rv revocation) checkRoomsEnded() {
	ids := rv.s.sessions.rooms()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), rv.s.opt.KeyCheckInterval*4)
	ended, err := rv.s.opt.Rooms.Ended(ctx, ids)
	cancel()
	if err != nil {
		rv.s.log.Warn("ended room check failed", "err", err)
		return
	}
	for _, id := range ended {
		for _, r := range rv.s.sessions.inRoom(id) {
			rv.s.log.Info("live ended elsewhere: ending session", "room", id, "session", r.id)
			r.sess.Close()
		}
	}
}

// kickKey ends the publisher sessions that authenticated with keyID.
func (rv revocation) kickKey(keyID string) int {
	n := 0
	for _, r := range rv.s.sessions.publishers() {
		if r.keyID == keyID {
			rv.s.log.Info("push key revoked: ending publisher", "room", r.room, "session", r.id, "key", keyID)
			r.sess.Close()
			n++
		}
	}
	return n
}
