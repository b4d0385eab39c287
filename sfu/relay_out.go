package sfu

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// A relay is the origin side of a cascade link: an edge node's
// PeerConnection that receives every simulcast layer of the room's
// publisher, and its audio, as separate tracks, unmunged (the publisher's
// sequence numbers and timestamps). The edge becomes a local source of the
// room (Engine.Source) and fans out to its own viewers, so the origin's
// cost grows with the number of edges, not of viewers.

// relayTrackPrefix starts the id of a relayed video track:
// "relay-v-<rank>-<rid>"; the audio track is relayAudioID.
const (
	relayTrackPrefix = "relay-v-"
	relayAudioID     = "relay-a"
	// maxRelayLayers is how many video tracks an edge offers to receive.
	maxRelayLayers = 4
)

// relayTrackID names the relayed track of the layer rid of rank rank.
func relayTrackID(rank int, rid string) string {
	return relayTrackPrefix + strconv.Itoa(rank) + "-" + rid
}

// parseRelayTrackID is relayTrackID's inverse.
func parseRelayTrackID(id string) (rank int, rid string, ok bool) {
	rest, found := strings.CutPrefix(id, relayTrackPrefix)
	if !found {
		return 0, "", false
	}
	r, rid, found := strings.Cut(rest, "-")
	if !found {
		return 0, "", false
	}
	n, err := strconv.Atoi(r)
	if err != nil || n < 0 || n >= maxRelayLayers || strconv.Itoa(n) != r {
		return 0, "", false
	}
	return n, rid, true
}

// RelayRequest asks for a room's media on behalf of an edge node, with the
// edge's offer (Engine.Source makes it).
type RelayRequest struct {
	Room     string
	OfferSDP string
	// SourceWait is how long the relay outlives the end of the room's
	// source (this node a regional edge relinking to its own upstream)
	// waiting for the next one; 0 means 10s.
	SourceWait time.Duration
}

// relayOut is one edge link of a room on the origin.
type relayOut struct {
	sess  *Session
	video []*relayVideo // one per publisher layer, fixed at answer time
	audio *downTrack    // written under audioMu (the audio reader; two across a source change)

	audioMu     sync.Mutex
	audioRebase relayRebase
}

// relayVideo is one relayed layer: its track and what is needed to send a
// packet again after the edge's NACK.
type relayVideo struct {
	rid   string
	dt    *downTrack                  // written under mu by the layer's reader; resent by the RTCP reader (over RTX when negotiated)
	sent  *[historySize]atomic.Uint64 // outgoing seq<<48 | marker<<32 | ts
	layer atomic.Pointer[layer]

	// mu serialises the writers of dt (a layer's reader; the old and the
	// new one across a change of the room's source) and guards rebase.
	mu     sync.Mutex
	rebase relayRebase
}

// newRelayTrack is a downTrack named id that writes packets as given.
func newRelayTrack(kind webrtc.RTPCodecType, codec webrtc.RTPCodecParameters, id, stream string) *downTrack {
	dt := newDownTrack(kind, codec, stream)
	dt.id = id
	dt.live.Store(true)
	return dt
}

// relaySet is a room's relays, copy-on-write, read without locking by
// the layers' readers.
type relaySet struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*relayOut]
}

func (rs *relaySet) add(r *relayOut) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var l []*relayOut
	if p := rs.list.Load(); p != nil {
		l = slices.Clone(*p)
	}
	l = append(l, r)
	rs.list.Store(&l)
}

func (rs *relaySet) remove(r *relayOut) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	p := rs.list.Load()
	if p == nil {
		return
	}
	l := slices.DeleteFunc(slices.Clone(*p), func(o *relayOut) bool { return o == r })
	rs.list.Store(&l)
}

// relayCounters count what a node forwards over relays.
type relayCounters struct {
	packets atomic.Uint64 // packets sent to edges
	links   atomic.Int64  // open relay sessions (origin side)
	sources atomic.Int64  // open source sessions (edge side)
}

// RelayStats is what a node's cascade links carry.
type RelayStats struct {
	// PacketsOut is how many RTP packets this node sent to edges.
	PacketsOut uint64
	// Links is the number of edges this node feeds now.
	Links int64
	// Sources is the number of rooms this node receives from an origin now.
	Sources int64
}

// RelayStats returns the node's cascade counters.
func (e *Engine) RelayStats() RelayStats {
	return RelayStats{PacketsOut: e.relay.packets.Load(), Links: e.relay.links.Load(), Sources: e.relay.sources.Load()}
}

// PacketsOut returns how many RTP packets the engine forwarded, to viewers
// and to edges.
func (e *Engine) PacketsOut() uint64 {
	return uint64(counterValue(e.metrics.packetsOut))
}

// Relay answers an edge's offer with every layer and the audio of the
// room's publisher. It fails with ErrNotLive when the room has no ready
// publisher here, ErrInvalidOffer or ErrUnsupportedMedia. The publisher may
// itself be a source (this node is a regional edge feeding further edges).
// The relay ends with a local publisher's session (the edge then
// reconnects); a source's end it outlives while the room gets another one
// (relay_tier.go).
func (e *Engine) Relay(ctx context.Context, r RelayRequest) (*Session, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: engine closed", ErrSessionClosed)
	}
	var pub *publisher
	rm := e.rooms[r.Room]
	if rm != nil {
		if p := rm.publisher(); p != nil && p.ready {
			pub = p
		}
	}
	if pub == nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNotLive, r.Room)
	}
	s := newSession(e, r.Room, "relay")
	e.sessions[s.id] = s
	e.mu.Unlock()

	ro := &relayOut{sess: s}
	if err := e.startRelay(ctx, ro, pub, r.OfferSDP); err != nil {
		_ = s.Close()
		return nil, err
	}
	rm.relays.add(ro)
	e.relay.links.Add(1)
	started := e.goOwned(func() {
		rm.holdRelay(ro, pub, r.SourceWait)
		rm.relays.remove(ro)
		e.relay.links.Add(-1)
		_ = s.Close()
		rm.dropIfIdle()
	})
	if !started {
		rm.relays.remove(ro)
		e.relay.links.Add(-1)
		_ = s.Close()
		rm.dropIfIdle()
		return nil, fmt.Errorf("%w: engine closed", ErrSessionClosed)
	}
	s.log.Info("relaying", "layers", len(ro.video))
	return s, nil
}

// goOwned runs f in a goroutine Engine.Close waits for; it reports false
// (and runs nothing) once the engine is closed.
func (e *Engine) goOwned(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
	return true
}

func (e *Engine) startRelay(ctx context.Context, ro *relayOut, pub *publisher, offer string) error {
	s := ro.sess
	pc, err := e.pinAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return fmt.Errorf("sfu: new peer connection: %w", err)
	}
	if err := s.attach(pc); err != nil {
		return err
	}
	pc.OnConnectionStateChange(e.watchState(s))
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	stream := "livesell-relay-" + s.room
	audio := newRelayTrack(webrtc.RTPCodecTypeAudio, opusCodec, relayAudioID, stream)
	sender, err := pc.AddTrack(audio)
	if err != nil {
		return fmt.Errorf("%w: audio: %v", ErrUnsupportedMedia, err)
	}
	ro.audio = audio
	s.goRun(func() { drainSender(sender) })
	if pub.codec.MimeType != "" {
		// The edge offers every codec it forwards and takes the first one
		// the answer names: the answer names the publisher's alone.
		prefs, err := relayCodecPrefs(offer, pub.codec)
		if err != nil {
			return err
		}
		for rid, rank := range relayLayers(pub) {
			tr := newRelayTrack(webrtc.RTPCodecTypeVideo, pub.codec, relayTrackID(rank, rid), stream)
			sender, err := pc.AddTrack(tr)
			if err != nil {
				return fmt.Errorf("%w: video: %v", ErrUnsupportedMedia, err)
			}
			for _, t := range pc.GetTransceivers() {
				if t.Sender() == sender {
					if err := t.SetCodecPreferences(prefs); err != nil {
						return fmt.Errorf("%w: video: %v", ErrUnsupportedMedia, err)
					}
				}
			}
			rv := &relayVideo{rid: rid, dt: tr, sent: new([historySize]atomic.Uint64)}
			ro.video = append(ro.video, rv)
			s.goRun(func() { ro.readRTCP(sender, rv, pub.room) })
		}
	}
	_, err = s.answerLocked(ctx)
	return err
}

// relayLayers returns the publisher's layers by rid with their rank: the
// rids of its offer, or the one layer "" of a non-simulcast publisher; for
// a source, the layers it receives.
func relayLayers(pub *publisher) map[string]int {
	if pub.relayed {
		out := map[string]int{}
		for _, l := range pub.layerList() {
			out[l.rid] = l.rank
		}
		if len(out) == 0 {
			out[""] = 0
		}
		return out
	}
	if len(pub.ranks) == 0 {
		return map[string]int{"": 0}
	}
	out := make(map[string]int, len(pub.ranks))
	for rid, rank := range pub.ranks {
		if rank < maxRelayLayers {
			out[rid] = rank
		}
	}
	return out
}

// drainSender reads a sender's RTCP so that its interceptors run.
func drainSender(s *webrtc.RTPSender) {
	for {
		if _, _, err := s.ReadRTCP(); err != nil {
			return
		}
	}
}

// readRTCP serves the edge's keyframe requests and NACKs for relayed layer
// rv: a PLI or FIR asks the room's current layer of that rid (throttled
// there), a NACK is answered from the layer's history with the packet as
// first relayed.
func (ro *relayOut) readRTCP(sender *webrtc.RTPSender, rv *relayVideo, rm *room) {
	var buf [1500]byte
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				l := rv.layer.Load()
				if l == nil || l.closed.Load() {
					if p := rm.publisher(); p != nil {
						l = layerByRID(p, rv.rid)
					}
				}
				if l != nil {
					l.requestKeyframe()
				}
			case *rtcp.TransportLayerNack:
				l := rv.layer.Load()
				if l == nil {
					continue
				}
				for _, pair := range p.Nacks {
					for _, seq := range pair.PacketList() {
						ro.resend(rv, l, seq, buf[:])
					}
				}
			}
		}
	}
}

// resend relays packet seq (as the edge numbers it) again if the layer
// still holds it.
func (ro *relayOut) resend(rv *relayVideo, l *layer, seq uint16, buf []byte) {
	v := rv.sent[seq%historySize].Load()
	if v == 0 || uint16(v>>48) != seq {
		return
	}
	rv.mu.Lock()
	src, ok := rv.rebase.source(l, seq)
	rv.mu.Unlock()
	if !ok {
		return
	}
	n, ok := l.history.get(src, buf)
	if !ok {
		return
	}
	if rv.dt.resend(v>>32&1 == 1, seq, uint32(v), buf[:n]) > 0 {
		l.pub.room.eng.metrics.retransmits.Inc()
	}
}

func layerByRID(pub *publisher, rid string) *layer {
	for _, l := range pub.layerList() {
		if l.rid == rid {
			return l
		}
	}
	return nil
}

// relayVideoPacket sends p, read by layer l at now, to every relay of the
// room. Called by l's reader; it returns how many packets it sent. The
// first layer of a relay's rid passes unmunged; a later one (a new source
// of the room) is rebased to continue the edge's stream, and asked for a
// keyframe.
func relayVideoPacket(relays []*relayOut, l *layer, p *rtp.Packet, now int64) int {
	n := 0
	m := uint64(0)
	if p.Marker {
		m = 1
	}
	for _, ro := range relays {
		for _, rv := range ro.video {
			if rv.rid != l.rid {
				continue
			}
			rv.mu.Lock()
			seq, ts, rebased := rv.rebase.next(l, p.SequenceNumber, p.Timestamp, now, l.clock)
			if rv.layer.Load() != l {
				rv.layer.Store(l)
			}
			rv.sent[seq%historySize].Store(uint64(seq)<<48 | m<<32 | uint64(ts))
			if rv.dt.write(p.Marker, seq, ts, p.Payload, now) > 0 {
				n++
			}
			rv.mu.Unlock()
			if rebased {
				l.requestKeyframe()
			}
		}
	}
	return n
}

// relayAudioPacket sends an audio packet of src's to every relay of the
// room. Called by the audio reader.
func relayAudioPacket(relays []*relayOut, src *publisher, p *rtp.Packet, now int64) int {
	n := 0
	for _, ro := range relays {
		if ro.audio == nil {
			continue
		}
		ro.audioMu.Lock()
		seq, ts, _ := ro.audioRebase.next(src, p.SequenceNumber, p.Timestamp, now, opusCodec.ClockRate)
		if ro.audio.write(p.Marker, seq, ts, p.Payload, now) > 0 {
			n++
		}
		ro.audioMu.Unlock()
	}
	return n
}

// relayHook is what a layer's reader calls per packet (a nil layer: the
// audio of src): it relays p and counts what it sent as forwarded.
func (r *room) relayHook(l *layer, src *publisher, p *rtp.Packet, now int64) {
	lp := r.relays.list.Load()
	if lp == nil || len(*lp) == 0 {
		return
	}
	var n int
	if l != nil {
		n = relayVideoPacket(*lp, l, p, now)
	} else {
		n = relayAudioPacket(*lp, src, p, now)
	}
	if n > 0 {
		r.eng.relay.packets.Add(uint64(n))
		r.eng.metrics.packetsOut.Add(float64(n))
		r.eng.relayMetrics.packets.Add(float64(n))
	}
}

// DropRelays ends every edge link of room on this node (the origin side)
// and returns how many it ended: the edges see their link fail and link
// again with backoff, their viewers frozen meanwhile.
func (e *Engine) DropRelays(room string) int {
	e.mu.Lock()
	rm := e.rooms[room]
	e.mu.Unlock()
	if rm == nil {
		return 0
	}
	var list []*relayOut
	if p := rm.relays.list.Load(); p != nil {
		list = *p
	}
	for _, ro := range list {
		_ = ro.sess.Close()
	}
	return len(list)
}
