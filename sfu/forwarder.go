package sfu

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// replayBurst is how many cached packets a catching-up viewer is sent per
// live packet of its layer: fast enough to catch up within a few hundred
// milliseconds, slow enough not to overflow receive buffers.
const replayBurst = 8

// replayMaxSpan is the longest backlog, in seconds of the layer's clock, a
// joiner replays from the cache. Past it the joiner is sent the cached
// keyframe alone (a picture at once) and waits for a fresh keyframe (one
// request per layer per 500 ms, shared by every joiner): decoding seconds
// of backlog in a burst costs a browser on a busy machine freezes after its
// first frame (Chromium on two loaded cores: up to 8 freezes in 5 s after
// replaying a 4 s backlog).
const replayMaxSpan = 2 // 1/2 s

// videoForwarder decides, for one subscriber, which packets of the
// publisher's layers go out on its video downTrack, and rewrites them. Every
// layer's reader calls forward for every packet; the forwarder passes only
// its current layer, and switches to its target layer on that layer's next
// keyframe (keeping the current layer until then, so the picture never
// freezes). A subscriber without a current layer starts from the target
// layer's keyframe cache when it has one, catching up with the live edge a
// few packets at a time, its frames stamped with the time they are sent.
type videoForwarder struct {
	mu      sync.Mutex
	dt      *downTrack
	m       munger
	current *layer
	target  *layer
	catchup bool // sending current's keyframe cache from cursor
	cursor  int
	// still: the target's cached keyframe was sent alone; the subscriber
	// waits for a fresh keyframe and replays no cache.
	still atomic.Bool
	// cur and tgt mirror current and target for the lock-free check that
	// lets the readers of other layers pass by without contending with the
	// (slow, SRTP-writing) reader of the current layer.
	cur, tgt atomic.Pointer[layer]
	met      *metrics
	scratch  [1600]byte // outgoing VP8 payload with rewritten descriptor
	sent     sentLog    // for retransmissions; guarded by mu

	// RTCP reader only: a retransmission being built.
	rtxBuf  [1600]byte
	rtxDesc [1600]byte
	rtx     retransmitBudget
}

// forward handles packet p of layer l and returns the bytes and packets it
// sent. It allocates nothing.
func (f *videoForwarder) forward(l *layer, p *rtp.Packet, info *pktInfo, now int64) (bytes, pkts int) {
	if l != f.cur.Load() && l != f.tgt.Load() {
		return 0, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if l == f.target && f.dt.ready() {
		switch {
		case info.keyframe:
			f.m.switchTo(p.SequenceNumber, p.Timestamp, now, l.clock)
			if f.current != nil {
				f.met.switches.Inc()
			}
			f.current, f.target, f.catchup = l, nil, false
			f.still.Store(false)
			f.publish()
		case f.current == nil && !f.still.Load() && l.cache.ready():
			f.met.replays.Inc()
			f.cursor = 0
			if l.cache.span() > l.clock/replayMaxSpan {
				// Too long a backlog: the keyframe alone, then live
				// from a fresh keyframe.
				f.still.Store(true)
				bytes, pkts = f.replay(l, now, l.cache.keyframePackets())
				l.requestKeyframe()
				return bytes, pkts
			}
			f.current, f.target, f.catchup = l, nil, true
			f.publish()
		default:
			l.requestKeyframe()
		}
	}
	if l != f.current {
		return 0, 0
	}
	if info.resync && !f.catchup { // the layer shed packets before this keyframe
		f.m.switchTo(p.SequenceNumber, p.Timestamp, now, l.clock)
	}
	if f.catchup {
		switch {
		case info.keyframe: // a fresh keyframe makes the backlog useless
			f.catchup = false
			f.m.switchTo(p.SequenceNumber, p.Timestamp, now, l.clock)
		case !l.cache.valid: // the GOP outgrew the cache: wait for a keyframe
			f.catchup = false
			f.current, f.target = nil, l
			f.publish()
			l.requestKeyframe()
			return 0, 0
		default:
			bytes, pkts = f.replay(l, now, replayBurst)
			if f.cursor < len(l.cache.pkts) {
				return bytes, pkts // p is cached and will be replayed
			}
			f.catchup = false // caught up: p follows the last cached packet
			f.m.paceFrame(p.Timestamp, now, l.clock)
		}
	}
	if len(p.Payload) == 0 {
		f.m.skip(p.SequenceNumber)
		return bytes, pkts
	}
	if n := f.emit(l, p.Marker, p.SequenceNumber, p.Timestamp, p.Payload, info.desc(), now); n > 0 {
		bytes += n
		pkts++
	}
	return bytes, pkts
}

// publish mirrors current and target into the atomics. Called with mu held.
func (f *videoForwarder) publish() {
	f.cur.Store(f.current)
	f.tgt.Store(f.target)
}

// emit rewrites and sends one packet.
func (f *videoForwarder) emit(l *layer, marker bool, srcSeq uint16, srcTs uint32, payload []byte, d desc, now int64) int {
	seq, ts, ok := f.m.rewrite(srcSeq, srcTs, now)
	if !ok {
		return 0
	}
	sp := sentPacket{layer: l, seq: seq, srcSeq: srcSeq, ts: ts, marker: marker}
	if d.fits(payload, len(f.scratch)) {
		sp.rewritten = true
		pd := d.picture()
		sp.pic, sp.tl0 = f.m.vp8(&pd)
		payload = f.scratch[:d.write(f.scratch[:], payload, sp.pic, sp.tl0)]
	}
	f.sent.record(sp)
	return f.dt.write(marker, seq, ts, payload, now)
}

// replay sends up to n packets of l's keyframe cache from the cursor, each
// new frame stamped with the time it is sent (munger.paceFrame). Called from l's
// reader (or its fan-out workers), which owns the cache.
func (f *videoForwarder) replay(l *layer, now int64, n int) (bytes, pkts int) {
	c := &l.cache
	var d descBuf
	for ; n > 0 && f.cursor < len(c.pkts); n-- {
		cp := &c.pkts[f.cursor]
		if f.cursor == 0 {
			f.m.switchTo(cp.seq, cp.ts, now, l.clock)
		} else {
			f.m.paceFrame(cp.ts, now, l.clock)
		}
		f.cursor++
		if cp.n == 0 {
			f.m.skip(cp.seq)
			continue
		}
		payload := c.payload(cp)
		if k := f.emit(l, cp.marker, cp.seq, cp.ts, payload, d.parse(l.kind, payload), now); k > 0 {
			bytes += k
			pkts++
		}
	}
	return bytes, pkts
}

// setTarget makes l the layer to switch to (nil: stop video). It returns
// true when the subscriber must wait for a keyframe of l from the publisher.
func (f *videoForwarder) setTarget(l *layer) (needKeyframe bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.publish()
	if l == f.current {
		f.target = nil
		return false
	}
	if l == f.target {
		return false
	}
	f.target = l
	return l != nil && (f.current != nil || !l.cacheReady.Load())
}

// waiting returns the layer whose keyframe the subscriber waits for: its
// target when it is not catching up from that layer's cache (nil when it
// waits for nothing).
func (f *videoForwarder) waiting() *layer {
	t := f.tgt.Load()
	if t == nil || t.closed.Load() {
		return nil
	}
	if f.cur.Load() == nil && t.cacheReady.Load() && !f.still.Load() {
		return nil // starts from the cache on the next packet
	}
	return t
}

// layers returns the current and target layers.
func (f *videoForwarder) layers() (current, target *layer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.current, f.target
}

// detach forgets the layers of a publisher that is gone; the munger keeps
// its state so the next publisher's stream continues the numbering.
func (f *videoForwarder) detach(p *publisher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.publish()
	if f.current != nil && f.current.pub == p {
		f.current, f.catchup = nil, false
	}
	if f.target != nil && f.target.pub == p {
		f.target = nil
	}
}

// audioForwarder forwards the publisher's audio to one subscriber; a new
// publisher's stream continues the numbering of the previous one.
type audioForwarder struct {
	mu  sync.Mutex
	dt  *downTrack
	m   munger
	src *audioSource
}

// forward sends p from src and returns the bytes sent.
func (f *audioForwarder) forward(src *audioSource, p *rtp.Packet, now int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dt.ready() {
		return 0
	}
	if src != f.src {
		f.src = src
		f.m.switchTo(p.SequenceNumber, p.Timestamp, now, 48000)
	}
	if len(p.Payload) == 0 {
		f.m.skip(p.SequenceNumber)
		return 0
	}
	seq, ts, ok := f.m.rewrite(p.SequenceNumber, p.Timestamp, now)
	if !ok {
		return 0
	}
	return f.dt.write(p.Marker, seq, ts, p.Payload, now)
}
