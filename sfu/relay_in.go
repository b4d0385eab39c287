package sfu

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// SourceRequest makes this node a local source of a room whose publisher is
// on another node (the origin): the engine offers to receive every layer
// and the audio, Dial carries the offer to the origin's relay endpoint
// (Engine.Relay there) and returns its answer.
type SourceRequest struct {
	Room string
	Dial func(ctx context.Context, offerSDP string) (answerSDP string, err error)
}

// Source connects room to its origin and makes the link the room's
// publisher on this node: viewers subscribe as to a local publisher, with
// this node's keyframe cache, layer selection and NACK history. When the
// link's session ends the viewers stay (a freeze): a new Source for the
// room resumes them on its next keyframe. It fails with ErrRoomBusy when
// the room has a publisher here.
func (e *Engine) Source(ctx context.Context, r SourceRequest) (*Session, error) {
	s := newSession(e, r.Room, "source")
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: engine closed", ErrSessionClosed)
	}
	rm := e.roomLocked(r.Room)
	if rm.publisher() != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrRoomBusy, r.Room)
	}
	// The room gets the publisher once its codec is known (attachSource):
	// its viewers read the codec without locking.
	pub := &publisher{sess: s, room: rm, relayed: true, ranks: map[string]int{}}
	s.pub = pub
	e.nPub++
	e.sessions[s.id] = s
	e.mu.Unlock()
	e.metrics.publishers.Inc()

	if err := e.startSource(ctx, s, r); err != nil {
		_ = s.Close()
		return nil, err
	}
	e.mu.Lock()
	pub.ready = true
	e.mu.Unlock()
	e.relay.sources.Add(1)
	if !e.goOwned(func() {
		<-s.done
		e.relay.sources.Add(-1)
	}) {
		e.relay.sources.Add(-1)
		_ = s.Close()
		return nil, fmt.Errorf("%w: engine closed", ErrSessionClosed)
	}
	s.log.Info("source connected", "codec", pub.codec.MimeType)
	return s, nil
}

func (e *Engine) startSource(ctx context.Context, s *Session, r SourceRequest) error {
	pc, err := e.pubAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("sfu: new peer connection: %w", err)
	}
	if err := s.attach(pc); err != nil {
		return err
	}
	pc.OnTrack(s.pub.onTrack)
	pc.OnConnectionStateChange(e.watchState(s))
	recv := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recv); err != nil {
		return fmt.Errorf("sfu: source transceiver: %w", err)
	}
	for range maxRelayLayers {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recv); err != nil {
			return fmt.Errorf("sfu: source transceiver: %w", err)
		}
	}
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("sfu: create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("sfu: set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	answer, err := r.Dial(ctx, pc.LocalDescription().SDP)
	if err != nil {
		return fmt.Errorf("sfu: source dial: %w", err)
	}
	codec, err := relayedCodec(answer)
	if err != nil {
		return err
	}
	s.pub.codec = codec
	if err := e.attachSource(s.pub); err != nil {
		return err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fmt.Errorf("%w: relay answer: %v", ErrInvalidOffer, err)
	}
	s.answer = answer
	return waitLayers(ctx, s.pub, relayedTracks(answer))
}

// attachSource makes pub its room's publisher, unless the room has one
// (ErrRoomBusy) or was dropped meanwhile.
func (e *Engine) attachSource(pub *publisher) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rm := pub.room
	if e.rooms[rm.name] != rm {
		return fmt.Errorf("%w: room %s dropped while linking", ErrSessionClosed, rm.name)
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.pub != nil {
		return fmt.Errorf("%w: %s", ErrRoomBusy, rm.name)
	}
	rm.pub = pub
	return nil
}

// sourceLayerWait bounds how long a new source waits for its layers' first
// packets: a layer the publisher has paused may never come.
const sourceLayerWait = 5 * time.Second

// waitLayers waits until pub has want layers (viewers asking for a layer
// by rid find it), or sourceLayerWait passes with at least one. It fails
// when no layer came at all.
func waitLayers(ctx context.Context, pub *publisher, want int) error {
	if want == 0 {
		return nil
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	limit := time.After(sourceLayerWait)
	for len(pub.layerList()) < want {
		select {
		case <-ctx.Done():
			if len(pub.layerList()) > 0 {
				return nil
			}
			return fmt.Errorf("sfu: source layers: %w", ctx.Err())
		case <-pub.sess.done:
			return ErrSessionClosed
		case <-limit:
			if len(pub.layerList()) > 0 {
				return nil
			}
			return fmt.Errorf("%w: no layer from the origin within %v", ErrNotLive, sourceLayerWait)
		case <-t.C:
		}
	}
	return nil
}

// relayedTracks counts the relayed video tracks an origin's answer sends.
func relayedTracks(answer string) int {
	var sd sdp.SessionDescription
	if sd.UnmarshalString(answer) != nil {
		return 0
	}
	n := 0
	for _, md := range sd.MediaDescriptions {
		if v, ok := md.Attribute("msid"); ok {
			if f := strings.Fields(v); len(f) == 2 {
				if _, _, ok := parseRelayTrackID(f[1]); ok {
					n++
				}
			}
		}
	}
	return n
}

// relayedCodec returns the video codec of an origin's relay answer (the
// first forwardable codec of its first sending video section), or the
// zero codec for an audio-only room.
func relayedCodec(answer string) (webrtc.RTPCodecParameters, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: relay answer: %v", ErrInvalidOffer, err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "video" || md.MediaName.Port.Value == 0 {
			continue
		}
		if _, send := md.Attribute(sdp.AttrKeySendOnly); !send {
			continue
		}
		for _, c := range sectionCodecs(md) {
			if vc, ok := matchVideoCodec(c.mime, c.fmtp); ok {
				return vc, nil
			}
		}
		return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: relay answer: no forwardable video codec", ErrUnsupportedMedia)
	}
	return webrtc.RTPCodecParameters{}, nil
}
