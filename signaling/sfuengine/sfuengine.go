// Package sfuengine adapts *sfu.Engine to signaling.MediaEngine: it converts
// the request types and translates the sfu sentinel errors into the
// signaling ones, so that package signaling builds and is tested without
// the media engine.
package sfuengine

import (
	"context"
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
)

// Engine wraps an *sfu.Engine.
type Engine struct {
	eng *sfu.Engine
}

var _ signaling.MediaEngine = (*Engine)(nil)

// New wraps eng.
func New(eng *sfu.Engine) *Engine { return &Engine{eng: eng} }

// SFU returns the wrapped engine.
func (e *Engine) SFU() *sfu.Engine { return e.eng }

// Publish implements signaling.MediaEngine.
func (e *Engine) Publish(ctx context.Context, r signaling.PublishRequest) (signaling.MediaSession, error) {
	s, err := e.eng.Publish(ctx, sfu.PublishRequest{Room: r.Room, OfferSDP: r.OfferSDP, OnDataChannel: r.OnDataChannel})
	if err != nil {
		return nil, translate(err)
	}
	return session{s}, nil
}

// Subscribe implements signaling.MediaEngine.
func (e *Engine) Subscribe(ctx context.Context, r signaling.SubscribeRequest) (signaling.MediaSession, error) {
	s, err := e.eng.Subscribe(ctx, sfu.SubscribeRequest{Room: r.Room, OfferSDP: r.OfferSDP, Layer: r.Layer, OnDataChannel: r.OnDataChannel})
	if err != nil {
		return nil, translate(err)
	}
	return session{s}, nil
}

// RoomLive implements signaling.MediaEngine.
func (e *Engine) RoomLive(room string) bool { return e.eng.RoomLive(room) }

type session struct{ s *sfu.Session }

func (s session) AnswerSDP() string { return s.s.AnswerSDP() }
func (s session) AddRemoteCandidate(c webrtc.ICECandidateInit) error {
	return translate(s.s.AddRemoteCandidate(c))
}
func (s session) RestartICE(ctx context.Context, ufrag, pwd string) (signaling.ICEParams, error) {
	p, err := s.s.RestartICE(ctx, ufrag, pwd)
	if err != nil {
		return signaling.ICEParams{}, translate(err)
	}
	return signaling.ICEParams{Ufrag: p.Ufrag, Pwd: p.Pwd, Candidates: p.Candidates}, nil
}
func (s session) SetLayer(l string) error { return translate(s.s.SetLayer(l)) }
func (s session) Close() error            { return s.s.Close() }
func (s session) Done() <-chan struct{}   { return s.s.Done() }

// translate maps an sfu sentinel to the signaling one, keeping the detail.
func translate(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range []struct{ from, to error }{
		{sfu.ErrRoomBusy, signaling.ErrRoomBusy},
		{sfu.ErrNotLive, signaling.ErrNotLive},
		{sfu.ErrCapacity, signaling.ErrCapacity},
		{sfu.ErrInvalidOffer, signaling.ErrInvalidOffer},
		{sfu.ErrUnsupportedMedia, signaling.ErrUnsupportedMedia},
		{sfu.ErrSessionClosed, signaling.ErrSessionClosed},
		{sfu.ErrInvalidLayer, signaling.ErrInvalidLayer},
	} {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return err
}
