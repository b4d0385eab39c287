package sfu

import "errors"

// Sentinel errors returned (wrapped with detail) by the Engine and Session
// methods. Compare them with errors.Is.
var (
	// ErrRoomBusy is returned by Publish when the room already has a publisher.
	ErrRoomBusy = errors.New("sfu: room already has a publisher")
	// ErrNotLive is returned by Subscribe when nobody publishes in the room.
	ErrNotLive = errors.New("sfu: room is not live")
	// ErrCapacity is returned when the node reached MaxPublishers or MaxViewers.
	ErrCapacity = errors.New("sfu: node at capacity")
	// ErrInvalidOffer is returned for an SDP offer that cannot be parsed or applied.
	ErrInvalidOffer = errors.New("sfu: invalid SDP offer")
	// ErrUnsupportedMedia is returned for an offer with more than one audio or
	// video section, or without a codec the SFU can forward.
	ErrUnsupportedMedia = errors.New("sfu: unsupported media")
	// ErrSessionClosed is returned by methods of a closed Session, and by an
	// Engine that has been closed.
	ErrSessionClosed = errors.New("sfu: session closed")
	// ErrInvalidLayer is returned by SetLayer for a layer name that is neither
	// a rid of the room's publisher nor one of the generic names
	// (low, mid, high, q, h, f), and when called on a publisher session.
	ErrInvalidLayer = errors.New("sfu: invalid layer")
)
