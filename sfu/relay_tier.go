package sfu

import "time"

// Tiers of the cascade: a node whose room is fed by a source (it is an
// edge) may relay the room further, to edges of its own (it is then a
// regional edge). Its relays outlive the end of its source: when its link
// to its own upstream breaks and is made again, the relays go on from the
// new source's layers, rebased so that each downstream edge keeps one
// continuous stream per layer, and ask the new layers for a keyframe.

// defaultSourceWait is RelayRequest.SourceWait's default.
const defaultSourceWait = 10 * time.Second

// relayRebase keeps one relayed stream continuous across a change of the
// source under it (a layer, or the publisher for the audio): the first
// source passes unmunged, a later one continues the outgoing sequence
// numbers and timestamps. Its relay's mutex guards it.
type relayRebase struct {
	src     any
	started bool
	seqOff  uint16
	tsOff   uint32
	lastSeq uint16 // newest outgoing sequence number
	lastTs  uint32 // newest outgoing timestamp
	lastAt  int64  // unix nanoseconds of the newest packet
}

// next returns the outgoing numbers of src's packet (seq, ts) read at now,
// and whether src replaced an earlier source with this packet.
func (r *relayRebase) next(src any, seq uint16, ts uint32, now int64, clock uint32) (uint16, uint32, bool) {
	rebased := false
	if src != r.src {
		if r.started {
			delta := uint32(1)
			if el := now - r.lastAt; el > 0 {
				if d := uint32(uint64(el) * uint64(clock) / 1e9); d > 1 {
					delta = d
				}
			}
			r.seqOff = r.lastSeq + 1 - seq
			r.tsOff = r.lastTs + delta - ts
			rebased = true
		}
		r.src = src
	}
	out, outTs := seq+r.seqOff, ts+r.tsOff
	if !r.started || int16(out-r.lastSeq) > 0 {
		r.lastSeq = out
	}
	if !r.started || int32(outTs-r.lastTs) > 0 {
		r.lastTs = outTs
	}
	r.started = true
	r.lastAt = now
	return out, outTs, rebased
}

// source returns the sequence number in src's numbering of outgoing seq,
// when src is the current source.
func (r *relayRebase) source(src any, seq uint16) (uint16, bool) {
	if src != r.src {
		return 0, false
	}
	return seq - r.seqOff, true
}

// holdRelay returns when relay ro must end: its session ended, the engine
// closes, or the room's publisher pub ended and was not replaced within
// wait by another publisher with the same codec. A local publisher's end
// ends the relay at once (the anchor left: the edge relinks to wherever
// the room goes); a source's end does not (this node relinks).
func (rm *room) holdRelay(ro *relayOut, pub *publisher, wait time.Duration) {
	e := rm.eng
	if wait <= 0 {
		wait = defaultSourceWait
	}
	for {
		select {
		case <-pub.sess.done:
		case <-ro.sess.done:
			return
		case <-e.stop:
			return
		}
		if !pub.relayed {
			return
		}
		next := rm.nextPublisher(pub, ro.sess.done, wait)
		if next == nil || next.codec.MimeType != pub.codec.MimeType {
			return
		}
		ro.sess.log.Info("relay goes on from the room's new source", "relayed", next.relayed)
		pub = next
	}
}

// nextPublisher waits up to wait for rm's ready publisher other than old;
// nil when none came, done closed or the engine closes.
func (rm *room) nextPublisher(old *publisher, done <-chan struct{}, wait time.Duration) *publisher {
	e := rm.eng
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	limit := time.NewTimer(wait)
	defer limit.Stop()
	for {
		e.mu.Lock()
		p := rm.publisher()
		ok := p != nil && p != old && p.ready && e.rooms[rm.name] == rm
		e.mu.Unlock()
		if ok {
			return p
		}
		select {
		case <-done:
			return nil
		case <-e.stop:
			return nil
		case <-limit.C:
			return nil
		case <-tick.C:
		}
	}
}

// idle reports whether the room has no publisher, viewer or relay: the
// engine forgets it.
func (r *room) idle() bool {
	return r.publisher() == nil && len(r.subscribers()) == 0 && r.relays.empty()
}

// dropIfIdle makes the engine forget rm once idle (its last relay ended).
func (rm *room) dropIfIdle() {
	e := rm.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rooms[rm.name] == rm && rm.idle() {
		delete(e.rooms, rm.name)
		e.metrics.rooms.Dec()
	}
}

func (rs *relaySet) empty() bool {
	p := rs.list.Load()
	return p == nil || len(*p) == 0
}
