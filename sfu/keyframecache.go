package sfu

import "github.com/pion/rtp"

// Limits of one layer's keyframe cache. A GOP longer than this is not
// cached; joiners then wait for a fresh keyframe instead.
const (
	cacheMaxPackets = 1024
	cacheMaxBytes   = 1 << 20
	// replayMaxBytes bounds the backlog a joiner catches up with; past it a
	// fresh keyframe (one PLI for all joiners) is cheaper.
	replayMaxBytes = 256 << 10
)

type cachedPacket struct {
	seq    uint16
	ts     uint32
	marker bool
	off, n int
}

// keyframeCache keeps the packets of one layer from its last keyframe on,
// so that a joining viewer can start at once. It is owned by the layer's
// reader goroutine; the buffers are reused from GOP to GOP.
type keyframeCache struct {
	valid bool
	kfTs  uint32
	pkts  []cachedPacket
	buf   []byte
}

// add records p. A keyframe with a new timestamp restarts the cache.
// Padding-only packets are recorded with no payload, so that a replay can
// skip them without leaving a gap in the outgoing sequence numbers.
func (c *keyframeCache) add(p *rtp.Packet, keyframe bool) {
	if keyframe && (!c.valid || p.Timestamp != c.kfTs) {
		c.valid = true
		c.kfTs = p.Timestamp
		c.pkts = c.pkts[:0]
		c.buf = c.buf[:0]
	}
	if !c.valid {
		return
	}
	if len(c.pkts) >= cacheMaxPackets || len(c.buf)+len(p.Payload) > cacheMaxBytes {
		c.valid = false
		return
	}
	off := len(c.buf)
	c.buf = append(c.buf, p.Payload...)
	c.pkts = append(c.pkts, cachedPacket{seq: p.SequenceNumber, ts: p.Timestamp, marker: p.Marker, off: off, n: len(p.Payload)})
}

func (c *keyframeCache) payload(cp *cachedPacket) []byte { return c.buf[cp.off : cp.off+cp.n] }

// span is how far (in clock ticks) the newest cached frame is from the
// keyframe: the backlog a joiner replaying the cache catches up with.
func (c *keyframeCache) span() uint32 {
	if len(c.pkts) == 0 {
		return 0
	}
	return c.pkts[len(c.pkts)-1].ts - c.kfTs
}

// keyframePackets is the number of cached packets of the keyframe itself.
func (c *keyframeCache) keyframePackets() int {
	n := 0
	for n < len(c.pkts) && c.pkts[n].ts == c.kfTs {
		n++
	}
	return n
}

// ready reports whether a joiner can start from the cache.
func (c *keyframeCache) ready() bool {
	return c.valid && len(c.pkts) > 0 && len(c.buf) <= replayMaxBytes
}
