package interaction

import (
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// ring keeps the last len(slots) encoded danmaku, oldest first, each
// encoded twice (data: as moderators see it; pub: with the pseudonymous
// user id viewers see), reusing
// each slot's buffer so that steady traffic allocates nothing. Overwritten
// entries are counted in dropped. Not safe for concurrent use.
type ring struct {
	slots   []slot
	head, n int
	dropped int
}

type slot struct {
	id        string
	data, pub []byte
	gone      bool
}

func newRing(n int) ring {
	if n < 1 {
		n = 1
	}
	return ring{slots: make([]slot, n)}
}

// add keeps d; pubUser is the user id viewers see.
func (r *ring) add(d *protocol.Danmaku, pubUser string) {
	var s *slot
	if r.n == len(r.slots) {
		s = &r.slots[r.head]
		r.head = (r.head + 1) % len(r.slots)
		if !s.gone {
			r.dropped++
		}
	} else {
		s = &r.slots[(r.head+r.n)%len(r.slots)]
		r.n++
	}
	s.id = d.ID
	s.gone = false
	s.data = protocol.AppendDanmaku(s.data[:0], d)
	pub := *d
	pub.User = pubUser
	s.pub = protocol.AppendDanmaku(s.pub[:0], &pub)
}

// len counts the live entries.
func (r *ring) len() int {
	n := 0
	for i := 0; i < r.n; i++ {
		if !r.slots[(r.head+i)%len(r.slots)].gone {
			n++
		}
	}
	return n
}

func (r *ring) each(fn func(s *slot)) {
	for i := 0; i < r.n; i++ {
		s := &r.slots[(r.head+i)%len(r.slots)]
		if !s.gone {
			fn(s)
		}
	}
}

func (r *ring) has(id string) bool {
	for i := 0; i < r.n; i++ {
		s := &r.slots[(r.head+i)%len(r.slots)]
		if s.id == id {
			return true
		}
	}
	return false
}

func (r *ring) remove(id string) bool {
	for i := 0; i < r.n; i++ {
		s := &r.slots[(r.head+i)%len(r.slots)]
		if s.id == id && !s.gone {
			s.gone = true
			return true
		}
	}
	return false
}

func (r *ring) reset() {
	r.head, r.n, r.dropped = 0, 0, 0
}
