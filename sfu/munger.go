package sfu

// munger rewrites the sequence numbers, timestamps and VP8 picture IDs of
// the packets of one outgoing stream so that the receiver sees a single
// continuous stream while the source underneath changes (simulcast layer
// switch, publisher reconnect, keyframe-cache replay). It is not safe for
// concurrent use; its forwarder serialises calls.
type munger struct {
	started bool

	seqOffset   uint16
	startSrcSeq uint16 // first source seq of the current source stream
	lastSrcSeq  uint16 // newest source seq forwarded from the current source
	lastSeq     uint16 // newest outgoing seq

	tsOffset  uint32
	lastSrcTs uint32
	lastTs    uint32 // outgoing timestamp of the newest packet
	lastAt    int64  // unix nanoseconds when the newest packet was rewritten

	// The outgoing timestamp and wall-clock time of the first packet of the
	// current source stream, which paced replays keep their clock on.
	anchorTs uint32
	anchorAt int64

	havePic    bool
	picRebase  bool
	lastSrcPic uint16
	lastPic    uint16 // 15 bits
	lastSrcTL0 uint8
	lastTL0    uint8
}

// switchTo rebases the munger on a new source stream whose first packet has
// srcSeq and srcTs: that packet gets the next sequence number, and a
// timestamp advanced from the previous one by the wall-clock time elapsed
// since (at least one tick). The first call keeps the source numbering.
func (m *munger) switchTo(srcSeq uint16, srcTs uint32, now int64, clockRate uint32) {
	m.startSrcSeq = srcSeq
	m.lastSrcSeq = srcSeq - 1
	m.lastSrcTs = srcTs
	m.picRebase = true
	if !m.started {
		m.started = true
		m.seqOffset = 0
		m.tsOffset = 0
		m.lastSeq = srcSeq - 1
		m.lastTs = srcTs
		m.lastAt = now
		m.anchorTs, m.anchorAt = srcTs, now
		return
	}
	delta := uint32(1)
	if el := now - m.lastAt; el > 0 {
		if d := uint32(uint64(el) * uint64(clockRate) / 1e9); d > 1 {
			delta = d
		}
	}
	m.seqOffset = m.lastSeq + 1 - srcSeq
	m.tsOffset = m.lastTs + delta - srcTs
	m.anchorTs, m.anchorAt = m.lastTs+delta, now
}

// paceFrame gives the frame with source timestamp srcTs the outgoing
// timestamp of the wall-clock time now on the clock of the current source
// stream's first packet (at least one tick after the previous frame).
// Keyframe-cache replay uses it: the cached frames go out faster than real
// time, and a receiver must see timestamps that advance as they arrive,
// neither one tick apart (its clock estimate then stalls the live frames
// that follow: seconds of frozen picture in Chromium) nor in source spacing
// (the viewer would stay a whole GOP behind the live edge).
func (m *munger) paceFrame(srcTs uint32, now int64, clockRate uint32) {
	if srcTs == m.lastSrcTs {
		return
	}
	ts := m.anchorTs
	if el := now - m.anchorAt; el > 0 {
		ts += uint32(uint64(el) * uint64(clockRate) / 1e9)
	}
	if int32(ts-m.lastTs) < 1 {
		ts = m.lastTs + 1
	}
	m.tsOffset = ts - srcTs
}

// rewrite maps a source packet to its outgoing sequence number and
// timestamp. ok is false for a duplicate, or for a late packet from before
// the current source stream started, which must be dropped.
func (m *munger) rewrite(srcSeq uint16, srcTs uint32, now int64) (seq uint16, ts uint32, ok bool) {
	d := int16(srcSeq - m.lastSrcSeq)
	switch {
	case d > 0:
		seq, ts = srcSeq+m.seqOffset, srcTs+m.tsOffset
		m.lastSrcSeq, m.lastSeq = srcSeq, seq
		m.lastSrcTs, m.lastTs = srcTs, ts
		m.lastAt = now
		return seq, ts, true
	case d == 0:
		return 0, 0, false
	default:
		if int16(srcSeq-m.startSrcSeq) < 0 {
			return 0, 0, false
		}
		return srcSeq + m.seqOffset, srcTs + m.tsOffset, true
	}
}

// skip drops a newest source packet (padding) without leaving a gap in the
// outgoing sequence numbers.
func (m *munger) skip(srcSeq uint16) {
	if int16(srcSeq-m.lastSrcSeq) > 0 {
		m.seqOffset -= srcSeq - m.lastSrcSeq
		m.lastSrcSeq = srcSeq
	}
}

// vp8 returns the outgoing picture ID (15 bits) and TL0PICIDX for a packet
// whose descriptor is d. After a switch the first frame continues at the
// previous outgoing picture ID + 1.
func (m *munger) vp8(d *vp8Desc) (pic uint16, tl0 uint8) {
	var mod uint16 = 0x8000
	if !d.picID15 {
		mod = 0x80
	}
	if !m.havePic {
		m.havePic = true
		m.lastPic = (d.picID - 1) & 0x7fff
		m.lastTL0 = d.tl0PicIdx - 1
		m.picRebase = true
	}
	if m.picRebase {
		m.picRebase = false
		m.lastSrcPic = (d.picID - 1) & (mod - 1)
		m.lastSrcTL0 = d.tl0PicIdx - 1
	}
	delta := int(d.picID-m.lastSrcPic) & int(mod-1)
	if delta >= int(mod/2) {
		delta -= int(mod)
	}
	pic = uint16(int(m.lastPic)+delta) & 0x7fff
	if delta > 0 {
		m.lastSrcPic, m.lastPic = d.picID, pic
	}
	dt := int8(d.tl0PicIdx - m.lastSrcTL0)
	tl0 = m.lastTL0 + uint8(dt)
	if dt > 0 {
		m.lastSrcTL0, m.lastTL0 = d.tl0PicIdx, tl0
	}
	return pic, tl0
}
