package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// tickInterval is how often the engine checks which layers are sending
// and retries the keyframe requests of viewers still waiting for one;
// every rateTicks ticks it also measures layer bitrates and re-evaluates
// automatic layer choices.
const (
	tickInterval = 100 * time.Millisecond
	rateTicks    = 5
)

// Engine is the media plane of one node: it owns the rooms, their
// publishers and subscribers, and the shared ICE transports.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	tr      *transport
	pubAPI  *webrtc.API
	subAPI  *webrtc.API // viewers in automatic mode: with GCC
	pinAPI  *webrtc.API // viewers pinned to a layer: no estimator

	subPCMu sync.Mutex // serialises subscriber PeerConnection creation
	newBWE  cc.BandwidthEstimator

	mu       sync.Mutex
	closed   bool
	rooms    map[string]*room
	sessions map[string]*Session
	taps     map[string]*Tap // see tap.go
	nPub     int
	nSub     int

	stop    chan struct{}
	wg      sync.WaitGroup // the ticker, goClose and Pion callbacks in flight
	logShut atomic.Bool    // set when Close returns: see gateHandler

	relay        relayCounters // cascade links (relay_out.go, relay_in.go)
	relayMetrics *relayMetrics
}

// NewEngine builds an Engine from cfg and starts its ticker.
func NewEngine(cfg Config) (*Engine, error) {
	e := &Engine{
		cfg:      cfg,
		log:      cfg.Logger,
		rooms:    map[string]*room{},
		sessions: map[string]*Session{},
		stop:     make(chan struct{}),
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.log = slog.New(gateHandler{next: e.log.Handler(), shut: &e.logShut}).With("component", "sfu")
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("sfu: metrics: %w", err)
	}
	e.metrics = m
	if e.relayMetrics, err = newRelayMetrics(e, cfg.Metrics); err != nil {
		return nil, fmt.Errorf("sfu: metrics: %w", err)
	}
	se, tr, err := settingEngine(cfg)
	if err != nil {
		return nil, err
	}
	e.tr = tr
	if e.pubAPI, err = publisherAPI(se); err != nil {
		tr.close()
		return nil, fmt.Errorf("sfu: publisher api: %w", err)
	}
	// The estimator callback runs inside NewPeerConnection, under subPCMu.
	if e.subAPI, err = subscriberAPI(se, func(est cc.BandwidthEstimator) { e.newBWE = est }); err != nil {
		tr.close()
		return nil, fmt.Errorf("sfu: subscriber api: %w", err)
	}
	if e.pinAPI, err = subscriberAPI(se, nil); err != nil {
		tr.close()
		return nil, fmt.Errorf("sfu: subscriber api: %w", err)
	}
	e.wg.Add(1)
	go e.tick()
	return e, nil
}

// Close ends every session and stops the engine. It is idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	sessions := make([]*Session, 0, len(e.sessions))
	for _, s := range e.sessions {
		sessions = append(sessions, s)
	}
	e.mu.Unlock()

	close(e.stop)
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Close()
		}()
	}
	wg.Wait()
	e.wg.Wait()
	e.tr.close()
	e.logShut.Store(true)
	return nil
}

// enterCallback registers a Pion callback running on the engine's
// behalf; it returns false once the engine is closed (the callback must
// then do nothing). Engine.Close waits for the callbacks registered.
func (e *Engine) enterCallback() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	return true
}

// watchState returns the connection-state handler of s, run by Pion in a
// goroutine of its own and accounted for by Engine.Close.
func (e *Engine) watchState(s *Session) func(webrtc.PeerConnectionState) {
	return func(st webrtc.PeerConnectionState) {
		if !e.enterCallback() {
			return
		}
		defer e.wg.Done()
		s.watch(st)
	}
}

// RoomLive reports whether room has a publisher.
func (e *Engine) RoomLive(room string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rooms[room]
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pub != nil && r.pub.ready
}

// PublishRequest asks to publish into a room with a WHIP offer.
type PublishRequest struct {
	Room     string
	OfferSDP string
	// OnDataChannel, when non-nil, receives the data channels the publisher opens.
	OnDataChannel func(*webrtc.DataChannel)
}

// SubscribeRequest asks to watch a room with a WHEP offer.
type SubscribeRequest struct {
	Room     string
	OfferSDP string
	// Layer pins the viewer to a layer (see Session.SetLayer); "" is
	// automatic. An unknown name falls back to automatic.
	Layer string
	// OnDataChannel, when non-nil, receives the data channels the viewer opens.
	OnDataChannel func(*webrtc.DataChannel)
}

// Publish makes the offerer the publisher of r.Room and returns its session
// once the answer is complete. It fails with ErrRoomBusy when the room has a
// publisher, ErrCapacity, ErrInvalidOffer or ErrUnsupportedMedia.
func (e *Engine) Publish(ctx context.Context, r PublishRequest) (*Session, error) {
	info, err := inspectOffer(r.OfferSDP)
	if err != nil {
		return nil, err
	}
	switch {
	case !info.audio && !info.video:
		return nil, fmt.Errorf("%w: no audio or video section", ErrUnsupportedMedia)
	case info.video && !info.videoOK:
		return nil, fmt.Errorf("%w: no forwardable video codec", ErrUnsupportedMedia)
	case info.audio && !info.opus:
		return nil, fmt.Errorf("%w: audio is not opus", ErrUnsupportedMedia)
	}

	s := newSession(e, r.Room, "publisher")
	e.mu.Lock()
	switch {
	case e.closed:
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: engine closed", ErrSessionClosed)
	case e.cfg.MaxPublishers > 0 && e.nPub >= e.cfg.MaxPublishers:
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %d publishers", ErrCapacity, e.nPub)
	}
	rm := e.roomLocked(r.Room)
	rm.mu.Lock()
	if rm.pub != nil {
		rm.mu.Unlock()
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrRoomBusy, r.Room)
	}
	pub := &publisher{sess: s, room: rm, codec: info.videoCodec, ranks: rankRIDs(info.rids)}
	s.pub = pub
	rm.pub = pub
	rm.mu.Unlock()
	e.nPub++
	e.sessions[s.id] = s
	e.mu.Unlock()
	e.metrics.publishers.Inc()

	if err := e.startPublisher(ctx, s, r, info); err != nil {
		_ = s.Close()
		return nil, err
	}
	e.mu.Lock()
	pub.ready = true
	e.mu.Unlock()
	s.log.Info("publishing", "codec", info.videoCodec.MimeType, "rids", info.rids)
	if e.cfg.OnRoomLive != nil {
		e.cfg.OnRoomLive(r.Room, true)
	}
	return s, nil
}

func (e *Engine) startPublisher(ctx context.Context, s *Session, r PublishRequest, info offerInfo) error {
	pc, err := e.pubAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("sfu: new peer connection: %w", err)
	}
	if err := s.attach(pc); err != nil {
		return err
	}
	pc.OnTrack(s.pub.onTrack)
	if r.OnDataChannel != nil {
		pc.OnDataChannel(r.OnDataChannel)
	}
	pc.OnConnectionStateChange(e.watchState(s))
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: r.OfferSDP}); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	for _, t := range pc.GetTransceivers() {
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			if err := t.SetCodecPreferences(publisherCodecPrefs(info, s.pub.codec)); err != nil {
				return fmt.Errorf("%w: %v", ErrUnsupportedMedia, err)
			}
		}
	}
	_, err = s.answerLocked(ctx)
	return err
}

// Subscribe adds a viewer to r.Room and returns its session once the
// answer is complete. It fails with ErrNotLive when nobody publishes in the
// room, ErrCapacity, ErrInvalidOffer or ErrUnsupportedMedia.
func (e *Engine) Subscribe(ctx context.Context, r SubscribeRequest) (*Session, error) {
	info, err := inspectOffer(r.OfferSDP)
	if err != nil {
		return nil, err
	}
	if !info.audio && !info.video {
		return nil, fmt.Errorf("%w: no audio or video section", ErrUnsupportedMedia)
	}
	s := newSession(e, r.Room, "viewer")
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: engine closed", ErrSessionClosed)
	}
	if e.cfg.MaxViewers > 0 && e.nSub >= e.cfg.MaxViewers {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %d viewers", ErrCapacity, e.nSub)
	}
	rm := e.rooms[r.Room]
	var pub *publisher
	if rm != nil {
		if p := rm.publisher(); p != nil && p.ready {
			pub = p
		}
	}
	if pub == nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNotLive, r.Room)
	}
	pubVideo := pub.codec.MimeType != "" // audio-only publishers have none
	if info.video && pubVideo && !slices.ContainsFunc(info.videoCodecs, func(c webrtc.RTPCodecParameters) bool {
		return c.PayloadType == pub.codec.PayloadType
	}) {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: viewer cannot receive %s", ErrUnsupportedMedia, pub.codec.MimeType)
	}
	sub := &subscriber{sess: s, room: rm}
	stream := "livesell-" + r.Room
	if info.audio {
		sub.audio = &audioForwarder{dt: newDownTrack(webrtc.RTPCodecTypeAudio, opusCodec, stream)}
	}
	if info.video && pubVideo {
		sub.video = &videoForwarder{dt: newDownTrack(webrtc.RTPCodecTypeVideo, pub.codec, stream), met: e.metrics}
	}
	if validLayerName(r.Layer, pub.layerList()) {
		sub.pref = r.Layer
	} else {
		s.log.Warn("unknown layer, using automatic selection", "layer", r.Layer)
	}
	s.sub = sub
	e.nSub++
	e.sessions[s.id] = s
	// Joined under e.mu so that the room cannot be dropped in between; the
	// forwarders stay idle until the transport is connected.
	rm.addSub(sub)
	e.mu.Unlock()
	e.metrics.viewers.Inc()

	if err := e.startSubscriber(ctx, s, r, info.codecPrefs(pub.codec)); err != nil {
		_ = s.Close()
		return nil, err
	}
	s.log.Info("viewing", "layer", sub.pref)
	return s, nil
}

func (e *Engine) startSubscriber(ctx context.Context, s *Session, r SubscribeRequest, prefs []webrtc.RTPCodecParameters) error {
	var pc *webrtc.PeerConnection
	var err error
	// A send-side estimator only serves to choose a layer: viewers of a
	// publisher with one layer (OBS, ffmpeg, GStreamer) do without it and
	// its per-packet TWCC work, keeping the loss and RTT of their receiver
	// reports (lossEstimate). It costs about a fifth of the server's CPU
	// per packet on that load (docs/benchmarks.md, #13).
	if s.sub.pref == "" && s.sub.room.simulcast() {
		e.subPCMu.Lock()
		e.newBWE = nil
		pc, err = e.subAPI.NewPeerConnection(webrtc.Configuration{})
		s.sub.bwe = e.newBWE
		e.subPCMu.Unlock()
	} else {
		pc, err = e.pinAPI.NewPeerConnection(webrtc.Configuration{})
	}
	if err != nil {
		return fmt.Errorf("sfu: new peer connection: %w", err)
	}
	if err := s.attach(pc); err != nil {
		return err
	}
	if r.OnDataChannel != nil {
		pc.OnDataChannel(r.OnDataChannel)
	}
	pc.OnConnectionStateChange(e.watchState(s))
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: r.OfferSDP}); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if f := s.sub.audio; f != nil {
		sender, err := pc.AddTrack(f.dt)
		if err != nil {
			return fmt.Errorf("%w: audio: %v", ErrUnsupportedMedia, err)
		}
		s.goRun(func() { s.sub.readRTCP(sender, false) })
	}
	if f := s.sub.video; f != nil {
		sender, err := pc.AddTrack(f.dt)
		if err != nil {
			return fmt.Errorf("%w: video: %v", ErrUnsupportedMedia, err)
		}
		for _, t := range pc.GetTransceivers() {
			if t.Sender() == sender {
				if err := t.SetCodecPreferences(prefs); err != nil {
					return fmt.Errorf("%w: %v", ErrUnsupportedMedia, err)
				}
			}
		}
		s.goRun(func() { s.sub.readRTCP(sender, true) })
	}
	_, err = s.answerLocked(ctx)
	return err
}

// roomLocked returns the room called name, creating it. Called with e.mu held.
func (e *Engine) roomLocked(name string) *room {
	r := e.rooms[name]
	if r == nil {
		r = &room{name: name, eng: e}
		r.tap.Store(e.taps[name])
		e.rooms[name] = r
		e.metrics.rooms.Inc()
	}
	return r
}

// detach removes a closing session from its room and the engine.
func (e *Engine) detach(s *Session) {
	e.mu.Lock()
	if _, ok := e.sessions[s.id]; !ok {
		e.mu.Unlock()
		return
	}
	delete(e.sessions, s.id)
	rm := e.rooms[s.room]
	var wasLive bool
	switch {
	case s.pub != nil:
		e.nPub--
		e.metrics.publishers.Dec()
		if rm != nil {
			rm.mu.Lock()
			if rm.pub == s.pub {
				rm.pub = nil
				wasLive = s.pub.ready && !s.pub.relayed
			}
			rm.mu.Unlock()
		}
	case s.sub != nil:
		e.nSub--
		e.metrics.viewers.Dec()
		if rm != nil {
			rm.removeSub(s.sub)
		}
	}
	if rm != nil && rm.idle() && e.rooms[s.room] == rm {
		delete(e.rooms, s.room)
		e.metrics.rooms.Dec()
	}
	e.mu.Unlock()

	if s.pub != nil && rm != nil {
		for _, sub := range rm.subscribers() {
			if sub.video != nil {
				sub.video.detach(s.pub)
			}
		}
	}
	if wasLive {
		s.log.Info("publisher gone")
		if e.cfg.OnRoomLive != nil {
			e.cfg.OnRoomLive(s.room, false)
		}
	}
}

// goClose closes s in a goroutine owned by the engine (Pion callbacks must
// not close their own PeerConnection).
func (e *Engine) goClose(s *Session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		_ = s.Close()
	}()
}

// tick watches layer activity, retries keyframe requests, measures layer
// bitrates, re-evaluates automatic layer choices and sends the outgoing
// tracks' sender reports (sr.go).
func (e *Engine) tick() {
	defer e.wg.Done()
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	var prevIn, prevOut float64
	var prevAt time.Time
	var rooms []*room
	for n := 1; ; n++ {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			measure := n%rateTicks == 0
			e.mu.Lock()
			rooms = rooms[:0]
			for _, r := range e.rooms {
				rooms = append(rooms, r)
			}
			e.mu.Unlock()
			for _, r := range rooms {
				e.tickRoom(r, now, measure)
			}
			if n%srTicks == 0 {
				for _, r := range rooms {
					r.sendReports(now)
				}
			}
			if measure {
				e.updateBitrates(now, &prevIn, &prevOut, &prevAt)
			}
		}
	}
}

// tickRoom is one tick for one room. A layer that stopped or resumed makes
// every viewer pick again at once; a viewer still waiting for a keyframe
// asks again (the layer's throttle spaces the requests).
func (e *Engine) tickRoom(r *room, now time.Time, measure bool) {
	pub := r.publisher()
	if pub == nil {
		return
	}
	var mask uint64
	for i, l := range pub.layerList() {
		if l.active(now.UnixNano()) && i < 64 {
			mask |= 1 << i
		}
		if !measure {
			continue
		}
		b := l.bytes.Load()
		if !l.prevAt.IsZero() {
			dt := now.Sub(l.prevAt).Seconds()
			l.rate.Store(int64(float64(b-l.prevBytes) * 8 / dt))
		}
		l.prevBytes, l.prevAt = b, now
	}
	if mask != r.activeMask {
		// A layer stopped or resumed: everyone picks again.
		r.activeMask = mask
		r.reselect()
		return
	}
	for _, s := range r.subscribers() {
		if measure && s.auto() {
			s.selectLayer(true)
		}
		if s.video != nil && s.connected.Load() {
			if l := s.video.waiting(); l != nil {
				l.requestKeyframe()
			}
		}
	}
}

// updateBitrates sets the bitrate gauges from the byte counters.
func (e *Engine) updateBitrates(now time.Time, prevIn, prevOut *float64, prevAt *time.Time) {
	in := counterValue(e.metrics.bytesIn)
	out := counterValue(e.metrics.bytesOut)
	if !prevAt.IsZero() {
		dt := now.Sub(*prevAt).Seconds()
		e.metrics.bitrateIn.Set((in - *prevIn) * 8 / dt)
		e.metrics.bitrateOut.Set((out - *prevOut) * 8 / dt)
	}
	*prevIn, *prevOut, *prevAt = in, out, now
}
