package sfu

import (
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// pktInfo is what a layer's reader learns about a packet once, before
// handing it to every subscriber.
type pktInfo struct {
	keyframe bool // first packet of a keyframe: a switch point
	vp8ok    bool // vp8 holds a parsed descriptor
	vp8      vp8Desc
	vp9ok    bool // vp9 holds a parsed descriptor
	vp9      vp9Desc
	// resync: a keyframe after packets shed for every viewer (shed.go);
	// forwarders rebase their numbering on it, leaving no gap to NACK.
	resync bool
}

// layer is one incoming video stream of a publisher: a simulcast encoding
// (rid) or the only encoding of a non-simulcast publisher (rid ""). Its
// reader goroutine fans every packet out to the room's subscribers.
type layer struct {
	pub   *publisher
	rid   string
	rank  int // 0 is the lowest quality
	kind  codecKind
	clock uint32
	track *webrtc.TrackRemote
	ssrc  uint32

	fan        *fanout       // reader goroutine only
	info       pktInfo       // reader goroutine only: the packet being handled
	cache      keyframeCache // reader goroutine only
	history    packetHistory // for subscribers' retransmissions
	cacheReady atomic.Bool   // mirrors cache.ready() for other goroutines
	pli        pliThrottle

	bytes   atomic.Uint64
	packets atomic.Uint64
	rate    atomic.Int64 // bits per second, updated by the engine's ticker
	lastAt  atomic.Int64 // unix nanoseconds of the last packet
	closed  atomic.Bool

	// engine ticker only
	prevBytes uint64
	prevAt    time.Time

	// reader goroutine only
	haveSeq bool
	lastSeq uint16
	shed    shedder
}

// layerIdle is how long a layer may send nothing before viewers are moved
// off it: browsers stop their top layers when their own estimate drops, or
// when the encoder is short of CPU. Even a degraded layer sends several
// frames a second; a viewer left on a stopped layer sees nothing.
const layerIdle = 600 * time.Millisecond

// active reports whether the layer sent a packet recently.
func (l *layer) active(now int64) bool {
	return !l.closed.Load() && now-l.lastAt.Load() < int64(layerIdle)
}

// activeLayers returns the layers that are sending, or all of them when
// none is (so that a viewer still waits on something).
func activeLayers(layers []*layer, now int64) []*layer {
	n := 0
	for _, l := range layers {
		if l.active(now) {
			n++
		}
	}
	if n == len(layers) || n == 0 {
		return layers
	}
	out := make([]*layer, 0, n)
	for _, l := range layers {
		if l.active(now) {
			out = append(out, l)
		}
	}
	return out
}

// bitrate returns the layer's measured bitrate in bits per second.
func (l *layer) bitrate() int64 { return l.rate.Load() }

// requestKeyframe asks the publisher for a keyframe of this layer, at most
// once per pliInterval whoever asks. It reads the clock itself: callers on
// the fan-out path hold a packet's read time, which under load can be
// hundreds of milliseconds old and would let two requests out closer
// together than the interval.
func (l *layer) requestKeyframe() {
	if l.closed.Load() || !l.pli.allow(time.Now().UnixNano()) {
		return
	}
	l.pub.room.eng.metrics.plis.Inc()
	_ = l.pub.sess.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}})
}

// run reads the layer until its track ends.
func (l *layer) run() {
	l.fan = newFanout(l.pub.room.eng.metrics.forward)
	defer l.fan.close()
	readPackets(l.track, l.handle)
}

// handle forwards one packet, read at now, to every subscriber of the
// room, then caches it.
func (l *layer) handle(p *rtp.Packet, now int64) {
	m := l.pub.room.eng.metrics
	l.lastAt.Store(now)
	l.bytes.Add(uint64(len(p.Payload) + 12))
	l.packets.Add(1)
	m.packetsIn.Inc()
	m.bytesIn.Add(float64(len(p.Payload) + 12))
	if l.haveSeq {
		d := int16(p.SequenceNumber - l.lastSeq)
		if d > 1 {
			m.lost.Add(float64(d - 1))
		}
		if d > 0 {
			l.lastSeq = p.SequenceNumber
		}
	} else {
		l.haveSeq, l.lastSeq = true, p.SequenceNumber
	}

	if len(p.Payload) > 0 {
		l.history.add(p.SequenceNumber, p.Payload)
	}
	info := &l.info
	*info = pktInfo{}
	switch l.kind {
	case codecVP8:
		info.vp8ok = parseVP8(p.Payload, &info.vp8)
		info.keyframe = info.vp8ok && info.vp8.keyframe
	case codecVP9:
		info.vp9ok = parseVP9(p.Payload, &info.vp9)
		fallthrough
	default:
		info.keyframe = isKeyframe(l.kind, p.Payload)
	}

	l.pub.room.relayHook(l, l.pub, p, now)
	var out, pkts int
	if l.shed.drop(l, now, time.Now().UnixNano(), info) {
		m.shed.Inc()
	} else if subs := l.pub.room.subs.Load(); subs != nil {
		out, pkts = l.fan.run(*subs, fanJob{layer: l, p: p, info: info, now: now})
	}
	if pkts > 0 {
		m.fanout.Observe(float64(time.Now().UnixNano()-now) / 1e9)
		m.packetsOut.Add(float64(pkts))
		m.bytesOut.Add(float64(out))
	}
	if !l.pub.room.eng.cfg.NoKeyframeCache {
		l.cache.add(p, info.keyframe)
		l.cacheReady.Store(l.cache.ready())
	}
	if t := l.pub.room.tap.Load(); t != nil {
		t.video(l, p, info.keyframe, now)
	}
}

// audioSource is the publisher's audio track.
type audioSource struct {
	pub   *publisher
	track *webrtc.TrackRemote
}

func (a *audioSource) run() {
	m := a.pub.room.eng.metrics
	fan := newFanout(m.forward)
	defer fan.close()
	readPackets(a.track, func(p *rtp.Packet, now int64) {
		m.packetsIn.Inc()
		m.bytesIn.Add(float64(len(p.Payload) + 12))
		a.pub.room.relayHook(nil, a.pub, p, now)
		var out, pkts int
		if subs := a.pub.room.subs.Load(); subs != nil {
			out, pkts = fan.run(*subs, fanJob{audio: a, p: p, now: now})
		}
		if pkts > 0 {
			m.fanout.Observe(float64(time.Now().UnixNano()-now) / 1e9)
			m.packetsOut.Add(float64(pkts))
			m.bytesOut.Add(float64(out))
		}
		if t := a.pub.room.tap.Load(); t != nil {
			t.audio(a, p, now)
		}
	})
}
