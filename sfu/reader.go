package sfu

import (
	"errors"
	"io"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// readAhead is how many packets of a track may wait, read and stamped,
// while the previous one is fanned out.
const readAhead = 64

// maxTooBig is how many oversized packets in a row a track may send before
// its reader gives up on it.
const maxTooBig = 64

// packetReader is what readPackets reads: a *webrtc.TrackRemote.
type packetReader interface {
	Read(b []byte) (int, interceptor.Attributes, error)
}

// readPackets reads track until it ends and calls handle for every packet
// with the time it was read. A goroutine reads and stamps while handle
// fans the previous packets out, so that the time a packet waits behind
// the fan-out of those before it counts as forwarding latency. The packet
// and its payload are valid during the call only. Nothing is allocated
// per packet.
func readPackets(track packetReader, handle func(p *rtp.Packet, readAt int64)) {
	type slot struct {
		n  int
		at int64
		b  [1500]byte
	}
	// The reader fills at most readAhead+1 slots beyond the one handled.
	ring := make([]slot, 2*readAhead)
	ready := make(chan int, readAhead)
	go func() {
		defer close(ready)
		tooBig := 0
		for i := 0; ; {
			s := &ring[i]
			n, _, err := track.Read(s.b[:])
			if errors.Is(err, io.ErrShortBuffer) && tooBig < maxTooBig {
				tooBig++ // a datagram larger than any RTP packet a browser sends: dropped
				continue
			}
			if err != nil {
				return
			}
			tooBig = 0
			s.n, s.at = n, time.Now().UnixNano()
			ready <- i
			i = (i + 1) % len(ring)
		}
	}()
	var p rtp.Packet
	for i := range ready {
		s := &ring[i]
		if p.Unmarshal(s.b[:s.n]) != nil {
			continue
		}
		handle(&p, s.at)
	}
}
