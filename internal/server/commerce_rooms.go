package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/livesell/livesell/commerce/api"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/room"
)

// commerceAnchors checks commerce's anchor credentials (admin token or the
// room's push key) with the node's one Authenticator.
type commerceAnchors struct{ auth *auth.Authenticator }

func (a commerceAnchors) Anchor(ctx context.Context, roomID, token string) (api.Anchor, error) {
	p, err := a.auth.Check(ctx, auth.Credential{Token: token, Room: roomID}, auth.Admin|auth.PushKey)
	switch code := apierr.CodeOf(err); {
	case err == nil:
		return api.Anchor{Admin: p.Kind == auth.KindAdmin, KeyID: p.KeyID}, nil
	case code == apierr.CodeInvalidPushKey || code == apierr.CodeInvalidToken || code == apierr.CodePushKeyRevoked:
		return api.Anchor{}, fmt.Errorf("%w: %w", api.ErrNotAnchor, err)
	}
	return api.Anchor{}, err
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
