package signaling

import (
	"context"
	"errors"

	"github.com/pion/webrtc/v4"
)

// Errors a MediaEngine returns (wrapped, checked with errors.Is). They mirror
// the sfu package's sentinels; the adapter in signaling/sfuengine translates.
var (
	ErrRoomBusy         = errors.New("signaling: room already has a publisher")
	ErrNotLive          = errors.New("signaling: room is not live")
	ErrCapacity         = errors.New("signaling: node at capacity")
	ErrInvalidOffer     = errors.New("signaling: invalid SDP offer")
	ErrUnsupportedMedia = errors.New("signaling: unsupported media")
	ErrSessionClosed    = errors.New("signaling: session closed")
	ErrInvalidLayer     = errors.New("signaling: invalid layer")
)

// MediaEngine is the media plane as the WHIP/WHEP layer uses it. The sfu
// engine satisfies it through signaling/sfuengine; tests of the HTTP layer
// may use a fake.
type MediaEngine interface {
	// Publish makes the offerer the publisher of a room.
	Publish(ctx context.Context, r PublishRequest) (MediaSession, error)
	// Subscribe adds a viewer to a live room.
	Subscribe(ctx context.Context, r SubscribeRequest) (MediaSession, error)
	// RoomLive reports whether the room has a publisher now.
	RoomLive(room string) bool
}

// PublishRequest asks to publish into a room with a WHIP offer.
type PublishRequest struct {
	Room, OfferSDP string
	// OnDataChannel receives the data channels the publisher opens.
	OnDataChannel func(*webrtc.DataChannel)
}

// SubscribeRequest asks to watch a room with a WHEP offer.
type SubscribeRequest struct {
	Room, OfferSDP string
	// Layer pins a simulcast layer; "" is automatic.
	Layer string
	// OnDataChannel receives the data channels the viewer opens.
	OnDataChannel func(*webrtc.DataChannel)
}

// ICEParams are the server's ICE credentials and candidates ("candidate:…"
// attribute values) after an ICE restart.
type ICEParams struct {
	Ufrag, Pwd string
	Candidates []string
}

// MediaSession is one publisher's or viewer's PeerConnection.
type MediaSession interface {
	// AnswerSDP is the complete answer, candidates included.
	AnswerSDP() string
	// AddRemoteCandidate adds a trickled candidate ("" = end of candidates).
	AddRemoteCandidate(c webrtc.ICECandidateInit) error
	// RestartICE applies the client's new credentials and returns the
	// server's.
	RestartICE(ctx context.Context, ufrag, pwd string) (ICEParams, error)
	// SetLayer pins a viewer's layer ("" = automatic).
	SetLayer(layer string) error
	// Close ends the session; it is idempotent.
	Close() error
	// Done is closed once the session has ended.
	Done() <-chan struct{}
}
