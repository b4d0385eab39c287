package sfu

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// publisher is the media side of a publishing Session: it turns the
// PeerConnection's incoming tracks into layers and an audio source.
type publisher struct {
	sess  *Session
	room  *room
	codec webrtc.RTPCodecParameters // the one video codec negotiated
	ranks map[string]int
	ready bool // answer sent; guarded by Engine.mu
	// relayed: an edge's source, fed by another node's relay (relay_in.go)
	relayed bool

	mu     sync.Mutex
	layers []*layer // sorted by rank, copy-on-write
	snap   atomic.Pointer[[]*layer]
}

// layerList returns the layers received so far, lowest quality first.
func (p *publisher) layerList() []*layer {
	if s := p.snap.Load(); s != nil {
		return *s
	}
	return nil
}

// addLayer adds l unless a layer already reads its track (then it returns
// false).
func (p *publisher) addLayer(l *layer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.layers {
		if o.track == l.track || o.rid == l.rid {
			return false
		}
	}
	ls := append(slices.Clone(p.layers), l)
	slices.SortStableFunc(ls, func(a, b *layer) int { return a.rank - b.rank })
	p.layers = ls
	p.snap.Store(&ls)
	return true
}

// onTrack runs in a Pion goroutine for every incoming track (one per
// simulcast layer) and reads it until the PeerConnection closes.
func (p *publisher) onTrack(track *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	s := p.sess
	if !s.enter() {
		return
	}
	defer s.leave()
	rid := track.RID()

	switch track.Kind() {
	case webrtc.RTPCodecTypeAudio:
		s.log.Debug("audio track", "codec", track.Codec().MimeType)
		s.goRun(func() { drainRTCP(recv, rid) })
		(&audioSource{pub: p, track: track}).run()
	case webrtc.RTPCodecTypeVideo:
		rank, ok := p.ranks[rid]
		if p.relayed {
			rank, rid, ok = parseRelayTrackID(track.ID())
		}
		if !ok {
			rank = len(p.ranks)
		}
		l := &layer{
			pub: p, rid: rid, rank: rank,
			kind:  kindOfMime(track.Codec().MimeType),
			clock: track.Codec().ClockRate,
			track: track, ssrc: uint32(track.SSRC()),
		}
		if l.clock == 0 {
			l.clock = 90000
		}
		// Pion fires OnTrack on the layer's first packet (a keyframe when a
		// browser starts or resumes a layer): count the layer as sending
		// already, so that the viewers waiting for it target it now and
		// switch on that keyframe instead of asking for another one.
		l.lastAt.Store(time.Now().UnixNano())
		if !p.addLayer(l) {
			s.log.Debug("second OnTrack for a layer, ignored", "rid", rid)
			return
		}
		s.log.Debug("video layer", "rid", rid, "rank", rank, "codec", track.Codec().MimeType)
		s.goRun(func() { drainRTCP(recv, rid) })
		p.room.reselect()
		l.run()
		l.closed.Store(true)
	}
}

// drainRTCP reads the RTCP of a receiver so that the interceptors see the
// publisher's sender reports.
func drainRTCP(recv *webrtc.RTPReceiver, rid string) {
	for {
		var err error
		if rid == "" {
			_, _, err = recv.ReadRTCP()
		} else {
			_, _, err = recv.ReadSimulcastRTCP(rid)
		}
		if err != nil {
			return
		}
	}
}
