package sfu

// Load shedding: when the box cannot keep up with a layer's fan-out, the
// packets of that layer wait in its reader's ring (and behind it in the
// socket), and every viewer's delay grows by the same backlog, to seconds
// within a minute. Instead, once a packet is handled more than shedAfter
// after it was read, the layer forwards nothing to anyone (a frozen picture
// for every viewer alike, the backlog drained at read speed) until a
// keyframe is handled in time; viewers resume on it with their numbering
// rebased (no sequence gap to NACK), and the publisher is asked for that
// keyframe at once.
const (
	// shedAfter is the lag, from read to fan-out, that starts shedding: far
	// above a healthy fan-out's (a few ms at 400 viewers) and a large
	// keyframe's burst, well below what a viewer notices as delay.
	shedAfter = int64(200e6)
	// resumeBelow is the lag under which a keyframe ends shedding.
	resumeBelow = shedAfter / 4
)

// shedder is a layer's shedding state; its reader goroutine only.
type shedder struct{ on bool }

// drop reports whether the packet described by info, handled lag
// nanoseconds after it was read, is dropped for every viewer. The keyframe
// that ends shedding is marked info.resync.
func (s *shedder) drop(l *layer, lag int64, info *pktInfo) bool {
	if !s.on {
		if lag < shedAfter {
			return false
		}
		s.on = true
	}
	if info.keyframe && lag < resumeBelow {
		s.on = false
		info.resync = true
		return false
	}
	l.requestKeyframe() // throttled: once per pliInterval
	return true
}
