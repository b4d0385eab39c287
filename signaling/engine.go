package signaling

import (
	"context"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/sfu"
)

// MediaEngine is the media plane as the WHIP/WHEP layer uses it, in the
// sfu's own types and errors (sfu.ErrRoomBusy, sfu.ErrNotLive, …). SFU
// wraps an *sfu.Engine; tests of the HTTP layer may use a fake.
type MediaEngine interface {
	// Publish makes the offerer the publisher of a room.
	Publish(ctx context.Context, r sfu.PublishRequest) (MediaSession, error)
	// Subscribe adds a viewer to a live room.
	Subscribe(ctx context.Context, r sfu.SubscribeRequest) (MediaSession, error)
	// RoomLive reports whether the room has a publisher now.
	RoomLive(room string) bool
}

// MediaSession is one publisher's or viewer's PeerConnection (*sfu.Session).
type MediaSession interface {
	// AnswerSDP is the complete answer, candidates included.
	AnswerSDP() string
	// AddRemoteCandidate adds a trickled candidate ("" = end of candidates).
	AddRemoteCandidate(c webrtc.ICECandidateInit) error
	// RestartICE applies the client's new credentials and returns the
	// server's.
	RestartICE(ctx context.Context, ufrag, pwd string) (sfu.ICEParams, error)
	// SetLayer pins a viewer's layer ("" = automatic).
	SetLayer(layer string) error
	// Close ends the session; it is idempotent.
	Close() error
	// Done is closed once the session has ended.
	Done() <-chan struct{}
}

// SFU is the MediaEngine of an *sfu.Engine. It only turns *sfu.Session
// results into MediaSession (Go's interfaces want the exact result type).
func SFU(eng *sfu.Engine) MediaEngine { return sfuEngine{eng} }

type sfuEngine struct{ *sfu.Engine }

func (e sfuEngine) Publish(ctx context.Context, r sfu.PublishRequest) (MediaSession, error) {
	s, err := e.Engine.Publish(ctx, r)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (e sfuEngine) Subscribe(ctx context.Context, r sfu.SubscribeRequest) (MediaSession, error) {
	s, err := e.Engine.Subscribe(ctx, r)
	if err != nil {
		return nil, err
	}
	return s, nil
}
