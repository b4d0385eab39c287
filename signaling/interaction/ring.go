package interaction

import (
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// ring keeps the last len(slots) encoded danmaku, oldest first, reusing
// each slot's buffer so that steady traffic allocates nothing. Overwritten
// entries are counted in dropped. Not safe for concurrent use.
type ring struct {
	slots   []slot
	head, n int
	dropped int
}

type slot struct {
	id   string
	data []byte
	gone bool
}

func newRing(n int) ring {
	if n < 1 {
		n = 1
	}
	return ring{slots: make([]slot, n)}
}

func (r *ring) add(d *protocol.Danmaku) {
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

func (r *ring) each(fn func(id string, data []byte)) {
	for i := 0; i < r.n; i++ {
		s := &r.slots[(r.head+i)%len(r.slots)]
		if !s.gone {
			fn(s.id, s.data)
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
