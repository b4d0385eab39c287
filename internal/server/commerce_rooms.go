package server

import (
	"context"
	"errors"

	"github.com/livesell/livesell/signaling/room"
)

// commerceRooms tells commerce which rooms are private.
type commerceRooms struct{ rooms *room.Store }

func (r commerceRooms) Private(ctx context.Context, id string) (bool, error) {
	rm, err := r.rooms.Get(ctx, id)
	if errors.Is(err, room.ErrNotFound) {
		return false, nil
	}
	return rm.Private, err
}
