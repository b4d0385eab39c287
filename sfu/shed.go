package sfu

// Load shedding: when the box cannot keep up with a layer's fan-out, the
// packets of that layer wait in its reader's ring (and behind it in the
// socket), and every viewer's delay grows by the same backlog, to seconds
// within a minute. Instead, once the layer has been behind for a while
// (packets handled more than lateAfter after they were read, for shedAfter
// on end) or at once far behind (shedAtOnce), it forwards nothing to anyone
// (a frozen picture for every viewer alike, the backlog drained at read
// speed) until a keyframe is handled in time; viewers resume on it with
// their numbering rebased (no sequence gap to NACK), and the publisher is
// asked for that keyframe at once. A short stall of the whole process (a
// busy box not scheduling it for a moment) drains by itself and sheds
// nothing.
const (
	// lateAfter is the lag, from read to fan-out, that counts as behind:
	// far above a healthy fan-out's (a few ms at 400 viewers) and a large
	// keyframe's burst.
	lateAfter = int64(100e6)
	// shedAfter is how long the layer may stay behind before it sheds.
	shedAfter = int64(400e6)
	// shedAtOnce is the lag that sheds whatever came before.
	shedAtOnce = int64(1e9)
	// resumeBelow is the lag under which a keyframe ends shedding.
	resumeBelow = int64(50e6)
)

// shedder is a layer's shedding state; its reader goroutine only.
type shedder struct {
	on        bool
	lateSince int64 // when the lag rose above lateAfter; 0 while in time
}

// drop reports whether the packet described by info, read at readAt and
// handled at at (unix nanoseconds), is dropped for every viewer. The
// keyframe that ends shedding is marked info.resync.
func (s *shedder) drop(l *layer, readAt, at int64, info *pktInfo) bool {
	lag := at - readAt
	if !s.on {
		if lag < lateAfter {
			s.lateSince = 0
			return false
		}
		if s.lateSince == 0 {
			s.lateSince = at
		}
		if lag < shedAtOnce && at-s.lateSince < shedAfter {
			return false
		}
		s.on, s.lateSince = true, 0
	}
	if info.keyframe && lag < resumeBelow {
		s.on = false
		info.resync = true
		return false
	}
	l.requestKeyframe() // throttled: once per pliInterval
	return true
}
