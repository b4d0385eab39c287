// Package signaling is livesell's HTTP face of the media plane: the WHIP
// (RFC 9725) ingest and WHEP playback resources, the room and push-key API
// of the operator, and viewer tokens for private rooms. Handlers are thin:
// they parse and authorize a request, call the MediaEngine, keep the
// session resource (ETag, ICE credentials, owner) and write the answer.
//
// Every error is an *apierr.Error in the one JSON shape.
package signaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/room"
)

// RoomStore is what the signaling layer needs of the rooms (*room.Store).
type RoomStore interface {
	Create(ctx context.Context, n room.NewRoom) (room.Room, error)
	Get(ctx context.Context, id string) (room.Room, error)
	List(ctx context.Context, o room.ListOptions) ([]room.Room, error)
	Update(ctx context.Context, id string, p room.Patch) (room.Room, error)
	SetState(ctx context.Context, id string, st room.State) (room.Room, error)
	Transition(ctx context.Context, id string, to room.State, from ...room.State) (bool, error)
	Ended(ctx context.Context, roomIDs []string) ([]string, error)
}

// KeyStore is what the signaling layer needs of the push keys' records
// (*room.Store); checking a presented key is auth's.
type KeyStore interface {
	IssueKey(ctx context.Context, roomID string) (room.Key, string, error)
	RotateKey(ctx context.Context, roomID, keyID string) (room.Key, string, error)
	RevokeKey(ctx context.Context, roomID, keyID string) (room.Key, error)
	ListKeys(ctx context.Context, roomID string) ([]room.Key, error)
	Revoked(ctx context.Context, keyIDs []string) ([]string, error)
}

// Options configure a Service.
type Options struct {
	// Engine is the media plane (required).
	Engine MediaEngine
	// Rooms is the room store (required).
	Rooms RoomStore
	// Keys keeps the push keys' records (required; the same *room.Store).
	Keys KeyStore
	// Auth checks every credential: the admin token, push keys and viewer
	// tokens; its Users mints viewer tokens for private rooms (required).
	Auth *auth.Authenticator
	// Events receives viewer presence, data channels and live changes; nil is allowed.
	Events RoomEvents
	// Owners records which node holds each room's publisher; WHEP requests
	// for a room live on another node are redirected there. Nil (no
	// PublicURL) runs single-node.
	Owners RoomOwners
	// PublicURL is the base of whip_url/whep_url and Location; empty
	// derives it from each request (Location is then a path).
	PublicURL string
	// ICEServers are advertised in Link headers (see ICELinks).
	ICEServers []string
	// MaxBodyBytes bounds SDP and trickle bodies; 0 means 64 KiB.
	MaxBodyBytes int
	// AnonymousChatDefault is anonymous_chat for rooms created without it.
	AnonymousChatDefault bool
	// TokenTTL is the default lifetime of viewer tokens; 0 means 24h.
	TokenTTL time.Duration
	// KeyCheckInterval is how often live publishers' keys and the rooms of
	// live sessions are re-checked against the store (revocations and ends
	// on other nodes); 0 means 500ms.
	KeyCheckInterval time.Duration
	// SignalTimeout bounds one offer/answer or ICE restart; 0 means 15s.
	SignalTimeout time.Duration
	// Admission bounds the WHIP and WHEP offers and open sessions of one
	// client address (zero fields: defaults, see AdmissionLimits).
	Admission AdmissionLimits
	// ICEConnectTimeout ends a session whose ICE has not connected within
	// it (for engines whose sessions report Connected); 0 means 10s. A
	// viewer counts (RoomEvents.ViewerJoined) only once connected.
	ICEConnectTimeout time.Duration
	// Candidates filters and caps the remote ICE candidates of offers and
	// trickle PATCHes.
	Candidates CandidatePolicy
	// TURN, when set, adds short-lived TURN REST credentials for its
	// servers to every answer's Link headers.
	TURN TURNOptions
	// Shows hears of a scheduled show moved (starts_at changed) or
	// cancelled, for the reminders and refunds; nil is allowed.
	Shows ShowEvents
	// Logger receives the logs; nil means slog.Default().
	Logger *slog.Logger
	// Tickets answers, for rooms that sell access, what a viewer's ticket
	// allows (WHEP admission, extra sources); nil: none does.
	Tickets auth.Tickets
	// Metrics, when set, receives the livesell_signaling_* collectors.
	Metrics prometheus.Registerer
	// Cascade makes this node an edge of rooms published on other nodes
	// and lets edges link to its rooms (cascade.go).
	Cascade CascadeOptions
	// Placement publishes this node's load and sends viewers it does not
	// serve to the least-loaded node serving the room (placement.go).
	Placement PlacementOptions
}

// Service serves WHIP, WHEP and the room API. Create it with New, mount it
// with Mount and stop it with Close.
type Service struct {
	opt      Options
	log      *slog.Logger
	links    []string
	turn     *turnLinks // nil without a TURN secret
	sessions *registry
	cluster  cluster    // room claims and redirects across nodes
	edges    *edges     // cascade links to other nodes' rooms
	drain    drainState // set once the node drains (drain.go)
	revoke   revocation // revoked keys and ended rooms, checked on every node
	metrics  *metrics
	// admitWHIP and admitWHEP apply Options.Admission per kind.
	admitWHIP, admitWHEP *admission

	stateMu sync.Mutex // serialises room state writes derived from the engine

	closeMu sync.Mutex // guards closed against track
	closed  bool

	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup // session watchers and the key checker
}

// New checks opts and starts the key checker.
func New(opts Options) (*Service, error) {
	switch {
	case opts.Engine == nil:
		return nil, errors.New("signaling: no media engine")
	case opts.Rooms == nil || opts.Keys == nil:
		return nil, errors.New("signaling: no room or key store")
	case opts.Auth == nil || opts.Auth.Users() == nil:
		return nil, errors.New("signaling: no authenticator (with a token verifier)")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 10
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.KeyCheckInterval <= 0 {
		opts.KeyCheckInterval = 500 * time.Millisecond
	}
	if opts.SignalTimeout <= 0 {
		opts.SignalTimeout = 15 * time.Second
	}
	if opts.ICEConnectTimeout <= 0 {
		opts.ICEConnectTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Tickets == nil {
		opts.Tickets = auth.NoTickets{}
	}
	links, err := ICELinks(opts.ICEServers)
	if err != nil {
		return nil, err
	}
	turn, err := newTURNLinks(opts.TURN)
	if err != nil {
		return nil, err
	}
	s := &Service{
		opt:      opts,
		log:      opts.Logger,
		links:    links,
		turn:     turn,
		sessions: newRegistry(),
		stop:     make(chan struct{}),
		drain:    newDrainState(),

		admitWHIP: newAdmission(opts.Admission),
		admitWHEP: newAdmission(opts.Admission),
	}
	s.cluster, s.revoke = cluster{s}, revocation{s}
	s.opt.Cascade.defaults()
	s.opt.Placement.defaults()
	s.edges = newEdges(s)
	s.metrics = newMetrics(s)
	if opts.Metrics != nil {
		if err := s.metrics.register(opts.Metrics); err != nil {
			return nil, fmt.Errorf("signaling: metrics: %w", err)
		}
		if err := s.edges.registerMetrics(opts.Metrics); err != nil {
			return nil, fmt.Errorf("signaling: metrics: %w", err)
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.revoke.checkKeys()
	if s.opt.Placement.Loads != nil {
		s.wg.Add(1)
		go placement{s}.run()
	}
	return s, nil
}

// Close ends every WHIP and WHEP session, stops the key checker and waits
// for the session watchers, or until ctx is done.
func (s *Service) Close(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		s.closeMu.Unlock()
		close(s.stop)
		s.cancel()
	})
	for _, r := range s.sessions.all() {
		r.sess.Close()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("signaling: close: %w", ctx.Err())
	}
}

// liveChanged follows a publish that started (live) or ended: it tells the
// interaction layer, then brings the room's stored state in line with the
// engine (so that whoever sees the new state has been told already). The
// WHIP sessions this service keeps are the one source of "the room went
// live"; the engine calls nothing back.
func (s *Service) liveChanged(roomID string, live bool) {
	if s.opt.Events != nil {
		s.opt.Events.RoomLive(roomID, live)
	}
	s.syncState(roomID)
}

// syncState writes the room state the engine implies: live while it has a
// publisher, paused once a live room lost it. Ended rooms stay ended.
// Writes are serialised so that the last one reflects the engine's latest
// truth.
func (s *Service) syncState(roomID string) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	if s.opt.Engine.RoomLive(roomID) {
		_, err = s.opt.Rooms.Transition(ctx, roomID, room.StateLive, room.StateIdle, room.StatePaused)
	} else {
		_, err = s.opt.Rooms.Transition(ctx, roomID, room.StatePaused, room.StateLive)
	}
	if err != nil {
		s.log.Warn("room state not saved", "room", roomID, "err", err)
	}
}

// track registers a new session resource and starts the watcher that
// cleans up when the session ends. Once the service is closing it ends the
// session instead and returns an error.
func (s *Service) track(r *resource) error {
	r.patches = newPatchLimiter()
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		r.sess.Close()
		if r.admitted != nil {
			r.admitted()
		}
		return apierr.New(apierr.CodeShuttingDown)
	}
	s.wg.Add(1)
	s.closeMu.Unlock()
	s.sessions.add(r)
	s.metrics.sessionStarted(r)
	connected := connectedChan(r.sess)
	if connected == nil {
		s.joined(r) // the engine does not report ICE: count it now
	}
	go func() {
		defer s.wg.Done()
		if connected != nil {
			s.awaitConnected(r, connected)
		}
		select {
		case <-r.sess.Done():
		case <-r.lost: // nil unless this publish holds a room claim
			s.log.Warn("room claimed by another node: ending publisher", "room", r.room, "session", r.id)
			r.sess.Close()
			<-r.sess.Done()
		}
		if r.admitted != nil {
			r.admitted()
		}
		s.sessions.remove(r)
		s.metrics.sessionEnded(r)
		if r.left != nil {
			r.left()
		}
		if r.kind == kindWHIP {
			if r.release != nil {
				r.release()
			}
			if r.source == "" {
				s.liveChanged(r.room, false)
			}
		}
		s.log.Info("session ended", "room", r.room, "session", r.id, "kind", r.kind.String())
	}()
	return nil
}

// Ready reports whether the service takes new sessions (for /readyz).
func (s *Service) Ready(context.Context) error {
	select {
	case <-s.stop:
		return errors.New("signaling: closed")
	default:
		return nil
	}
}

// connectNotifier is a MediaSession that reports when its ICE connected
// (the sfu engine's sessions do).
type connectNotifier interface {
	// Connected is closed once ICE (and DTLS) connected.
	Connected() <-chan struct{}
}

// connectedChan is sess's Connected channel, or nil when it has none.
func connectedChan(sess MediaSession) <-chan struct{} {
	if n, ok := sess.(connectNotifier); ok {
		return n.Connected()
	}
	return nil
}

// awaitConnected waits until r's session connects — then the viewer
// counts — or, when ICEConnectTimeout passes first, ends it: an offer
// that never connects holds a PeerConnection and its goroutines, and must
// neither count as a viewer nor keep a room's publisher slot.
func (s *Service) awaitConnected(r *resource, connected <-chan struct{}) {
	t := time.NewTimer(s.opt.ICEConnectTimeout)
	defer t.Stop()
	select {
	case <-connected:
		s.joined(r)
	case <-t.C:
		s.log.Info("ICE did not connect in time: ending session", "room", r.room, "session", r.id, "kind", r.kind.String(), "timeout", s.opt.ICEConnectTimeout)
		r.sess.Close()
	case <-r.sess.Done():
	}
}

// joined tells the interaction layer that a WHEP viewer is watching; the
// departure hook runs when the session ends.
func (s *Service) joined(r *resource) {
	if r.kind == kindWHEP && r.source == "" && s.opt.Events != nil {
		if from, ok := s.opt.Events.(ReferredEvents); ok && r.ref != "" {
			r.left = from.ViewerJoinedFrom(r.room, r.who, r.ref)
			return
		}
		r.left = s.opt.Events.ViewerJoined(r.room, r.who)
	}
}
