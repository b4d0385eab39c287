package sfu

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// ErrTapped is returned by Engine.Tap when the room already has a tap.
var ErrTapped = errors.New("sfu: room already tapped")

// TapPacket is a copy of one RTP packet of a tapped room, taken on the
// forwarding path and handed over through the tap's queue. Its Payload is a
// pooled buffer: call Release when done with it.
type TapPacket struct {
	Video     bool   // false: the publisher's audio
	MimeType  string // the track's codec, e.g. "video/VP8", "audio/opus"
	ClockRate uint32
	Layer     string // the simulcast rid ("" without simulcast)
	SSRC      uint32
	// Switch marks the first packet (a keyframe) after the tap moved to
	// another layer or another publisher: sequence numbers and timestamps
	// start afresh.
	Switch         bool
	Keyframe       bool // first packet of a keyframe (video)
	Marker         bool
	SequenceNumber uint16
	Timestamp      uint32
	ReadAt         int64 // unix nanoseconds the SFU read the packet
	Payload        []byte

	buf [1500]byte
}

var tapPool = sync.Pool{New: func() any { return new(TapPacket) }}

// Release returns the packet's buffer to the pool; p must not be used after.
func (p *TapPacket) Release() {
	p.Payload = nil
	tapPool.Put(p)
}

// Tap hands the packets of a room's best active video layer and of its audio
// to one consumer (a recorder) through a bounded queue. The forwarding path
// never waits on it: when the queue is full the packet is dropped and
// counted. The tap follows the best layer the publisher sends, switching on
// that layer's keyframe, and survives publishers leaving and coming back.
type Tap struct {
	eng  *Engine
	room string
	ch   chan *TapPacket

	dropped atomic.Uint64
	cur     atomic.Pointer[layer] // the layer passed on
	mu      sync.Mutex            // serialises switches
}

// Tap starts tapping room with a queue of queue packets (at least 64). A
// room has at most one tap; Close removes it.
func (e *Engine) Tap(room string, queue int) (*Tap, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrSessionClosed
	}
	if e.taps[room] != nil {
		return nil, ErrTapped
	}
	t := &Tap{eng: e, room: room, ch: make(chan *TapPacket, max(queue, 64))}
	if e.taps == nil {
		e.taps = map[string]*Tap{}
	}
	e.taps[room] = t
	if r := e.rooms[room]; r != nil {
		r.tap.Store(t)
	}
	return t, nil
}

// Packets is the tap's queue.
func (t *Tap) Packets() <-chan *TapPacket { return t.ch }

// Dropped returns how many packets were dropped because the queue was full.
func (t *Tap) Dropped() uint64 { return t.dropped.Load() }

// RequestKeyframe asks the publisher for a keyframe of the tapped layer
// (throttled like every keyframe request).
func (t *Tap) RequestKeyframe() {
	if l := t.cur.Load(); l != nil {
		l.requestKeyframe()
	}
}

// Close stops the tap; packets still queued stay readable.
func (t *Tap) Close() {
	e := t.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.taps[t.room] != t {
		return
	}
	delete(e.taps, t.room)
	if r := e.rooms[t.room]; r != nil {
		r.tap.Store(nil)
	}
}

// bestLayer returns the highest-ranked layer of pub sending at now.
func bestLayer(pub *publisher, now int64) *layer {
	var best *layer
	for _, l := range pub.layerList() {
		if l.active(now) {
			best = l // sorted low to high
		}
	}
	return best
}

// video is called by layer l's reader for every packet, after forwarding.
func (t *Tap) video(l *layer, p *rtp.Packet, keyframe bool, now int64) {
	cur := t.cur.Load()
	sw := false
	if l != cur {
		if !keyframe {
			if (cur == nil || !cur.active(now)) && bestLayer(l.pub, now) == l {
				l.requestKeyframe() // the tapped layer stopped: move to l on its next keyframe
			}
			return
		}
		if (cur != nil && !cur.closed.Load() && cur.pub == l.pub && cur.active(now) && cur.rank >= l.rank) ||
			bestLayer(l.pub, now) != l {
			return
		}
		t.mu.Lock()
		ok := t.cur.CompareAndSwap(cur, l)
		t.mu.Unlock()
		if !ok {
			return
		}
		sw = true
	} else if b := bestLayer(l.pub, now); b != nil && b != l {
		b.requestKeyframe() // a better layer is sending (or l stopped): move on its keyframe
	}
	t.put(true, l.pub.codec.MimeType, l.clock, l.rid, l.ssrc, sw, keyframe, p, now)
}

// audio is called by the audio reader for every packet, after forwarding.
func (t *Tap) audio(a *audioSource, p *rtp.Packet, now int64) {
	t.put(false, a.track.Codec().MimeType, 48000, "", uint32(a.track.SSRC()), false, false, p, now)
}

func (t *Tap) put(video bool, mime string, clock uint32, rid string, ssrc uint32, sw, key bool, p *rtp.Packet, now int64) {
	if len(p.Payload) > len(TapPacket{}.buf) {
		t.dropped.Add(1)
		return
	}
	tp := tapPool.Get().(*TapPacket)
	*tp = TapPacket{Video: video, MimeType: mime, ClockRate: clock, Layer: rid, SSRC: ssrc, Switch: sw, Keyframe: key,
		Marker: p.Marker, SequenceNumber: p.SequenceNumber, Timestamp: p.Timestamp, ReadAt: now}
	tp.Payload = tp.buf[:copy(tp.buf[:], p.Payload)]
	select {
	case t.ch <- tp:
	default:
		t.dropped.Add(1)
		tp.Release()
	}
}
