package signaling

import (
	"context"
	"errors"
	"time"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/signaling/room"
)

// Retry-After values.
const (
	notLiveRetry  = 2 * time.Second
	capacityRetry = 5 * time.Second
)

// engineError maps a MediaEngine error to its API error — the one table of
// media statuses.
func engineError(err error) error {
	switch {
	case errors.Is(err, ErrRoomBusy):
		return apierr.Conflict("room_busy", "the room already has a live publisher").WithCause(err)
	case errors.Is(err, ErrNotLive):
		return apierr.Conflict("not_live", "the room is not live yet; retry").WithCause(err).WithRetryAfter(notLiveRetry)
	case errors.Is(err, ErrCapacity):
		return apierr.Unavailable("capacity", "this node is full; retry later").WithCause(err).WithRetryAfter(capacityRetry)
	case errors.Is(err, ErrUnsupportedMedia):
		return apierr.Unprocessable("unsupported_media", "%s", detail(err)).WithCause(err)
	case errors.Is(err, ErrInvalidOffer):
		return apierr.BadRequest("invalid_sdp", "the SDP offer cannot be used: %s", detail(err)).WithCause(err)
	case errors.Is(err, ErrInvalidLayer):
		return apierr.Unprocessable("invalid_layer", "the room's publisher has no such layer").WithCause(err)
	case errors.Is(err, ErrSessionClosed):
		return apierr.NotFound("session_closed", "the session has ended").WithCause(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return apierr.Unavailable("timeout", "the media engine did not answer in time").WithCause(err).WithRetryAfter(capacityRetry)
	}
	return apierr.Internal(err)
}

// roomError maps a room store error to its API error.
func roomError(err error) error {
	switch {
	case errors.Is(err, room.ErrNotFound):
		return apierr.NotFound("room_not_found", "no such room").WithCause(err)
	case errors.Is(err, room.ErrExists):
		return apierr.Conflict("room_exists", "a room with this id already exists").WithCause(err)
	case errors.Is(err, room.ErrInvalid):
		return apierr.BadRequest("invalid_room", "%s", detail(err)).WithCause(err)
	case errors.Is(err, room.ErrTooManyKeys):
		return apierr.Conflict("too_many_keys", "the room already has %d active push keys; revoke one first", room.MaxActiveKeys).WithCause(err)
	case errors.Is(err, room.ErrBadKey):
		return apierr.Forbidden("bad_push_key", "the push key is not valid for this room").WithCause(err)
	case errors.Is(err, room.ErrKeyRevoked):
		return apierr.Forbidden("push_key_revoked", "the push key was revoked").WithCause(err)
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
