package server

import (
	"context"
	"errors"

	"github.com/livesell/livesell/commerce/api"
	"github.com/livesell/livesell/signaling/room"
)

// commerceAnchors checks commerce's anchor credentials (admin token or the
// room's push key) against the room store.
// TODO(core): replace with the one auth function when it lands.
func commerceAnchors(adminToken string, rooms *room.Store) api.Anchors {
	return api.PushKeyAnchors{AdminToken: adminToken, Verify: func(ctx context.Context, roomID, key string) (string, error) {
		k, err := rooms.VerifyPushKey(ctx, roomID, key)
		if errors.Is(err, room.ErrBadKey) || errors.Is(err, room.ErrKeyRevoked) || errors.Is(err, room.ErrNotFound) {
			return "", api.ErrNotAnchor
		}
		return k.ID, err
	}}
}

// commerceRooms tells commerce which rooms are private.
type commerceRooms struct{ rooms *room.Store }

func (r commerceRooms) Private(ctx context.Context, id string) (bool, error) {
	rm, err := r.rooms.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return false, nil
	}
	return rm.Private, err
}
