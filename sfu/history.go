package sfu

import "sync"

// historySize is how many packets a layer keeps, and a viewer remembers
// having sent, for retransmission: about 5.7 s of a 650 kbps layer and 2.4 s
// of a 1.6 Mbps one, well past any round trip worth repairing. Power of two.
const historySize = 512

// packetHistory is a layer's last historySize packets as the publisher sent
// them, kept once for every viewer (a per-viewer NACK buffer would copy
// each packet once per viewer). The layer's reader adds; the viewers'
// RTCP readers look up.
type packetHistory struct {
	mu    sync.RWMutex
	slots [historySize]historySlot
}

type historySlot struct {
	seq uint16
	n   int // 0: empty
	buf [1500]byte
}

// add keeps a copy of payload as packet seq (payloads that do not fit are
// not kept).
func (h *packetHistory) add(seq uint16, payload []byte) {
	s := &h.slots[seq%historySize]
	h.mu.Lock()
	s.seq = seq
	s.n = 0
	if len(payload) <= len(s.buf) {
		s.n = copy(s.buf[:], payload)
	}
	h.mu.Unlock()
}

// get copies packet seq's payload into dst and reports whether it is kept.
func (h *packetHistory) get(seq uint16, dst []byte) (int, bool) {
	s := &h.slots[seq%historySize]
	h.mu.RLock()
	defer h.mu.RUnlock()
	if s.n == 0 || s.seq != seq || s.n > len(dst) {
		return 0, false
	}
	return copy(dst, s.buf[:s.n]), true
}

// sentPacket is what a viewer's forwarder remembers of a packet it sent:
// enough to send it again from the layer's history.
type sentPacket struct {
	layer  *layer // nil: empty slot
	seq    uint16 // as sent
	srcSeq uint16 // as the publisher sent it
	ts     uint32 // as sent
	marker bool
	// The VP8 or VP9 descriptor was rewritten with pic and tl0.
	rewritten bool
	pic       uint16
	tl0       uint8
}

// sentLog is a forwarder's record of its last historySize packets,
// guarded by the forwarder's mutex.
type sentLog struct {
	slots [historySize]sentPacket
}

func (l *sentLog) record(p sentPacket) { l.slots[p.seq%historySize] = p }

// lookup returns what was sent as seq.
func (l *sentLog) lookup(seq uint16) (sentPacket, bool) {
	p := l.slots[seq%historySize]
	return p, p.layer != nil && p.seq == seq
}
