package signaling_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
)

// fakeEngine is a MediaEngine for the pure-HTTP tests: it answers with a
// fixed SDP, keeps one publisher per room and records what sessions get.
type fakeEngine struct {
	mu         sync.Mutex
	live       map[string]*fakeSession
	publishErr error
	sessions   []*fakeSession
}

func newFakeEngine() *fakeEngine { return &fakeEngine{live: map[string]*fakeSession{}} }

func (e *fakeEngine) setPublishErr(err error) {
	e.mu.Lock()
	e.publishErr = err
	e.mu.Unlock()
}

func (e *fakeEngine) Publish(ctx context.Context, r sfu.PublishRequest) (signaling.MediaSession, error) {
	e.mu.Lock()
	if e.publishErr != nil {
		err := e.publishErr
		e.mu.Unlock()
		return nil, fmt.Errorf("fake: %w", err)
	}
	if e.live[r.Room] != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("fake: %w", sfu.ErrRoomBusy)
	}
	s := e.newSession(r.Room, true)
	e.live[r.Room] = s
	e.mu.Unlock()
	return s, nil
}

func (e *fakeEngine) Subscribe(ctx context.Context, r sfu.SubscribeRequest) (signaling.MediaSession, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.live[r.Room] == nil {
		return nil, fmt.Errorf("fake: %w", sfu.ErrNotLive)
	}
	s := e.newSession(r.Room, false)
	s.layer.Store(r.Layer)
	return s, nil
}

func (e *fakeEngine) RoomLive(room string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.live[room] != nil
}

func (e *fakeEngine) newSession(room string, pub bool) *fakeSession {
	s := &fakeSession{eng: e, room: room, pub: pub, done: make(chan struct{})}
	e.sessions = append(e.sessions, s)
	return s
}

type fakeSession struct {
	eng  *fakeEngine
	room string
	pub  bool

	mu         sync.Mutex
	candidates []webrtc.ICECandidateInit
	restarts   int
	layer      atomic.Value
	closeOnce  sync.Once
	done       chan struct{}
}

const fakeAnswer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

func (s *fakeSession) AnswerSDP() string { return fakeAnswer }

func (s *fakeSession) AddRemoteCandidate(c webrtc.ICECandidateInit) error {
	select {
	case <-s.done:
		return sfu.ErrSessionClosed
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.candidates = append(s.candidates, c)
	return nil
}

func (s *fakeSession) RestartICE(ctx context.Context, ufrag, pwd string) (sfu.ICEParams, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restarts++
	return sfu.ICEParams{Ufrag: fmt.Sprintf("srv%d", s.restarts) + "ufrag", Pwd: "serverpasswordserverpassword",
		Candidates: []string{"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"}}, nil
}

func (s *fakeSession) SetLayer(l string) error {
	if s.pub {
		return sfu.ErrInvalidLayer
	}
	if l == "zz" {
		return fmt.Errorf("fake: %w", sfu.ErrInvalidLayer)
	}
	s.layer.Store(l)
	return nil
}

func (s *fakeSession) Close() error {
	s.closeOnce.Do(func() {
		// As the sfu: the room stops being live before Done closes.
		if s.pub {
			e := s.eng
			e.mu.Lock()
			if e.live[s.room] == s {
				delete(e.live, s.room)
			}
			e.mu.Unlock()
		}
		close(s.done)
	})
	return nil
}

func (s *fakeSession) Done() <-chan struct{} { return s.done }

func (s *fakeSession) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *fakeSession) candidateCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.candidates)
}

// fakeEvents records the interaction hooks.
type fakeEvents struct {
	mu      sync.Mutex
	joined  map[string]int
	left    map[string]int
	liveLog []string
}

func newFakeEvents() *fakeEvents {
	return &fakeEvents{joined: map[string]int{}, left: map[string]int{}}
}

func (f *fakeEvents) ViewerJoined(room string, who auth.Identity) func() {
	f.mu.Lock()
	f.joined[room]++
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.left[room]++
		f.mu.Unlock()
	}
}

func (f *fakeEvents) AttachDataChannel(room string, who auth.Identity, anchor bool, dc *webrtc.DataChannel) {
}

func (f *fakeEvents) RoomLive(room string, live bool) {
	f.mu.Lock()
	f.liveLog = append(f.liveLog, fmt.Sprintf("%s=%v", room, live))
	f.mu.Unlock()
}

func (f *fakeEvents) counts(room string) (joined, left int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.joined[room], f.left[room]
}
