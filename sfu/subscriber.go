package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// upgradeTicks is how many consecutive engine ticks the bandwidth estimate
// must allow a better layer before an automatic upgrade.
const upgradeTicks = 2

// subscriber is the media side of a viewing Session: one audio and one
// video downTrack fed by forwarders.
type subscriber struct {
	sess  *Session
	room  *room
	audio *audioForwarder // nil when the offer has no audio section
	video *videoForwarder // nil when the offer has no video section
	bwe   cc.BandwidthEstimator

	connected atomic.Bool
	videoLoss atomic.Uint32 // fraction lost (/256) in the viewer's last receiver report

	mu      sync.Mutex
	pref    string // "" = automatic
	upTicks int
}

// onConnected starts forwarding once the transport is up, so that the
// first packets (a cached keyframe) are not lost to a handshake.
func (s *subscriber) onConnected() {
	if s.connected.Swap(true) {
		return
	}
	if s.audio != nil {
		s.audio.dt.live.Store(true)
	}
	if s.video != nil {
		s.video.dt.live.Store(true)
	}
	s.selectLayer(false)
}

// setPref records the viewer's layer preference and applies it.
func (s *subscriber) setPref(pref string) {
	s.mu.Lock()
	s.pref = pref
	s.upTicks = 0
	s.mu.Unlock()
	s.selectLayer(false)
}

// selectLayer picks the layer this subscriber should receive from the
// room's publisher: the pinned one, or one that fits the bandwidth
// estimate. fromTicker applies the upgrade hysteresis.
func (s *subscriber) selectLayer(fromTicker bool) {
	if s.video == nil || !s.connected.Load() {
		return
	}
	pub := s.room.publisher()
	if pub == nil || pub.codec.PayloadType != s.video.dt.codec.PayloadType {
		return // no publisher, or one whose codec this viewer did not negotiate
	}
	layers := activeLayers(pub.layerList(), time.Now().UnixNano())
	if len(layers) == 0 {
		return
	}
	s.mu.Lock()
	var l *layer
	if s.pref != "" {
		l = resolveLayer(s.pref, layers)
	} else {
		l = s.autoPick(pub, layers, fromTicker)
	}
	s.mu.Unlock()
	if s.video.setTarget(l) {
		l.requestKeyframe()
	}
}

// autoPick chooses from the bandwidth estimate. Downgrades are immediate,
// upgrades wait for upgradeTicks ticks. Called with s.mu held.
func (s *subscriber) autoPick(pub *publisher, layers []*layer, fromTicker bool) *layer {
	cur, tgt := s.video.layers()
	ref := tgt
	if ref == nil {
		ref = cur
	}
	var est int64
	switch {
	case s.bwe != nil:
		est = int64(s.bwe.GetTargetBitrate())
	case ref == nil || ref.bitrate() == 0:
		est = bweInitial
	default:
		est = lossEstimate(ref.bitrate(), s.videoLoss.Load())
	}
	cand := pickByBandwidth(layers, est)
	if ref == nil || ref.pub != pub || ref.closed.Load() {
		s.upTicks = 0
		return cand
	}
	if cand.rank > ref.rank {
		if !fromTicker {
			return ref
		}
		if s.upTicks++; s.upTicks < upgradeTicks {
			return ref
		}
	}
	s.upTicks = 0
	return cand
}

// lossEstimate stands in for a bandwidth estimate for viewers without GCC
// (those that joined pinned to a layer, then asked for automatic): from the
// current layer's bitrate and the loss the viewer reports, it allows a step
// up when loss is under 2%, a step down over 10%, and staying otherwise.
func lossEstimate(rate int64, fractionLost uint32) int64 {
	switch {
	case fractionLost > 25:
		return rate * 7 / 10
	case fractionLost < 5:
		return rate*3 + audioHeadroom
	default:
		return rate + rate/10 + audioHeadroom
	}
}

// auto reports whether the subscriber follows its bandwidth estimate.
func (s *subscriber) auto() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pref == ""
}

// readRTCP handles the feedback of one sender: keyframe requests go to the
// current layer (or the awaited one) (throttled there); NACKed video
// packets are sent again from their layer's history.
func (s *subscriber) readRTCP(sender *webrtc.RTPSender, video bool) {
	met := s.sess.eng.metrics
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if video && s.video != nil {
					// The layer being sent, or, before the first
					// keyframe, the one awaited.
					cur, tgt := s.video.layers()
					if cur == nil {
						cur = tgt
					}
					if cur != nil {
						cur.requestKeyframe()
					}
				}
			case *rtcp.ReceiverReport:
				if video {
					for _, r := range p.Reports {
						s.videoLoss.Store(uint32(r.FractionLost))
					}
				}
			case *rtcp.TransportLayerNack:
				var n int
				for _, pair := range p.Nacks {
					n += len(pair.PacketList())
				}
				met.nacks.Add(float64(n))
				if video && s.video != nil {
					met.retransmits.Add(float64(s.video.retransmit(p, time.Now().UnixNano())))
				}
			}
		}
	}
}
