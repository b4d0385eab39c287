package sfu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// ICEParams are the local ICE credentials and candidates after an ICE
// restart. Candidates are SDP attribute values ("candidate:...").
type ICEParams struct {
	Ufrag, Pwd string
	Candidates []string
}

// Session is one publisher's or one viewer's PeerConnection. Its methods
// are safe for concurrent use.
type Session struct {
	id, room string
	eng      *Engine
	log      *slog.Logger
	pc       *webrtc.PeerConnection
	pub      *publisher  // publishing session
	sub      *subscriber // viewing session

	sigMu  sync.Mutex // serialises signaling (answer, ICE restart)
	answer string

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup // goroutines reading from pc

	closeOnce sync.Once
	done      chan struct{}

	connectedOnce sync.Once
	connected     chan struct{} // closed once the PeerConnection connected
}

func newSession(e *Engine, room, kind string) *Session {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	return &Session{
		id: id, room: room, eng: e,
		log:       e.log.With("room", room, "session", id, "kind", kind),
		done:      make(chan struct{}),
		connected: make(chan struct{}),
	}
}

// ID returns the session's unique identifier.
func (s *Session) ID() string { return s.id }

// Room returns the name of the session's room.
func (s *Session) Room() string { return s.room }

// AnswerSDP returns the complete SDP answer, with the candidates gathered on
// the configured interfaces.
func (s *Session) AnswerSDP() string {
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	return s.answer
}

// Done is closed when the session has ended, by Close or because its
// connection failed.
func (s *Session) Done() <-chan struct{} { return s.done }

// Connected is closed once the session's PeerConnection connected (ICE and
// DTLS). The signaling layer closes sessions that never get there.
func (s *Session) Connected() <-chan struct{} { return s.connected }

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// AddRemoteCandidate adds a trickled remote ICE candidate.
func (s *Session) AddRemoteCandidate(c webrtc.ICECandidateInit) error {
	if s.isClosed() {
		return ErrSessionClosed
	}
	if err := s.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("sfu: add candidate: %w", err)
	}
	return nil
}

// RestartICE restarts ICE with the remote peer's new credentials and
// returns the local ones, with the candidates gathered for them.
func (s *Session) RestartICE(ctx context.Context, remoteUfrag, remotePwd string) (ICEParams, error) {
	if s.isClosed() {
		return ICEParams{}, ErrSessionClosed
	}
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	rd := s.pc.RemoteDescription()
	if rd == nil {
		return ICEParams{}, ErrSessionClosed
	}
	offer, err := withICECredentials(rd.SDP, remoteUfrag, remotePwd)
	if err != nil {
		return ICEParams{}, fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return ICEParams{}, fmt.Errorf("%w: ice restart: %v", ErrInvalidOffer, err)
	}
	answer, err := s.answerLocked(ctx)
	if err != nil {
		return ICEParams{}, err
	}
	return iceParams(answer)
}

// answerLocked creates and applies an answer, waits for ICE gathering and
// stores the complete answer. Called with sigMu held.
func (s *Session) answerLocked(ctx context.Context) (string, error) {
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("sfu: create answer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(s.pc)
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("sfu: set local description: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	s.answer = s.pc.LocalDescription().SDP
	return s.answer, nil
}

// SetLayer pins a viewer to a simulcast layer: a rid of the publisher (such
// as "q", "h", "f") or a generic name ("low", "mid", "high"). "" returns to
// automatic selection from the bandwidth estimate. The switch happens on the
// layer's next keyframe.
func (s *Session) SetLayer(name string) error {
	if s.sub == nil {
		return fmt.Errorf("%w: not a viewer session", ErrInvalidLayer)
	}
	if s.isClosed() {
		return ErrSessionClosed
	}
	var layers []*layer
	if pub := s.sub.room.publisher(); pub != nil {
		layers = pub.layerList()
	}
	if !validLayerName(name, layers) {
		return fmt.Errorf("%w: %q", ErrInvalidLayer, name)
	}
	s.sub.setPref(name)
	return nil
}

// Close ends the session and waits for its goroutines. It is idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		pc := s.pc
		s.mu.Unlock()
		s.eng.detach(s)
		if pc != nil {
			// Graceful: waits for Pion's own goroutines of this
			// PeerConnection. Never called from a Pion callback (goClose).
			if err := pc.GracefulClose(); err != nil {
				s.log.Debug("close peer connection", "err", err)
			}
		}
		s.waitGoroutines(closeWait)
		close(s.done)
		s.log.Info("session closed")
	})
	return nil
}

// closeWait bounds how long Close waits for the session's readers: Pion
// has left a track reader blocked after PeerConnection.Close (seen with a
// simulcast repair stream), and one stuck reader must not hang Engine.Close.
const closeWait = 5 * time.Second

func (s *Session) waitGoroutines(d time.Duration) {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		s.log.Error("session readers still running after close", "waited", d)
	}
}

// attach gives the session its PeerConnection, unless it is already
// closing (then pc is closed).
func (s *Session) attach(pc *webrtc.PeerConnection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		_ = pc.Close()
		return ErrSessionClosed
	}
	s.pc = pc
	return nil
}

// enter registers a goroutine working on the PeerConnection; it returns
// false once the session is closing.
func (s *Session) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Session) leave() { s.wg.Done() }

// goRun runs f in a goroutine owned by the session.
func (s *Session) goRun(f func()) {
	if !s.enter() {
		return
	}
	go func() {
		defer s.leave()
		f()
	}()
}

// watch closes the session when its connection fails or closes.
func (s *Session) watch(st webrtc.PeerConnectionState) {
	s.log.Debug("connection state", "state", st.String())
	switch st {
	case webrtc.PeerConnectionStateConnected:
		s.connectedOnce.Do(func() { close(s.connected) })
		if s.sub != nil {
			s.sub.onConnected()
		}
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		s.eng.goClose(s)
	}
}
