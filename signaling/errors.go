package signaling

import (
	"context"
	"errors"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling/room"
)

// engineError maps a media engine (sfu) error to its catalogue code — the
// one table of media errors; statuses and Retry-After come from the
// catalogue.
func engineError(err error) error {
	switch {
	case errors.Is(err, sfu.ErrRoomBusy):
		return apierr.Wrap(apierr.CodeRoomBusy, err)
	case errors.Is(err, sfu.ErrNotLive):
		return apierr.Wrap(apierr.CodeNotLive, err)
	case errors.Is(err, sfu.ErrCapacity):
		return apierr.Wrap(apierr.CodeCapacity, err)
	case errors.Is(err, sfu.ErrUnsupportedMedia):
		return apierr.E(apierr.CodeUnsupportedMedia, "%s", detail(err)).WithCause(err)
	case errors.Is(err, sfu.ErrInvalidOffer):
		return apierr.E(apierr.CodeInvalidSDP, "the SDP offer cannot be used: %s", detail(err)).WithCause(err)
	case errors.Is(err, sfu.ErrInvalidLayer):
		return apierr.Wrap(apierr.CodeUnknownLayer, err)
	case errors.Is(err, sfu.ErrSessionClosed):
		return apierr.E(apierr.CodeSessionNotFound, "the session has ended").WithCause(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return apierr.E(apierr.CodeTimeout, "the media engine did not answer in time").WithCause(err)
	}
	return apierr.Internal(err)
}

// roomError maps a room store error to its catalogue code.
func roomError(err error) error {
	switch {
	case errors.Is(err, room.ErrNotFound):
		return apierr.Wrap(apierr.CodeRoomNotFound, err)
	case errors.Is(err, room.ErrExists):
		return apierr.Wrap(apierr.CodeRoomExists, err)
	case errors.Is(err, room.ErrInvalid):
		return apierr.E(apierr.CodeInvalidRoom, "%s", detail(err)).WithCause(err)
	case errors.Is(err, room.ErrTooManyKeys):
		return apierr.E(apierr.CodeTooManyKeys, "the room already has %d active push keys; revoke one first", room.MaxActiveKeys).WithCause(err)
	case errors.Is(err, room.ErrBadKey):
		return apierr.Wrap(apierr.CodeInvalidPushKey, err)
	case errors.Is(err, room.ErrKeyRevoked):
		return apierr.Wrap(apierr.CodePushKeyRevoked, err)
	}
	return apierr.Internal(err)
}

// detail is the message of err without the sentinel prefixes, short and
// free of secrets (engine and parser messages only describe the input).
func detail(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
