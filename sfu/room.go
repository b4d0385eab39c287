package sfu

import (
	"slices"
	"sync"
	"sync/atomic"
)

// room is one live-selling room: at most one publisher and any number of
// subscribers. Subscribers outlive publishers: when a publisher comes back
// they resume from its next keyframe.
type room struct {
	name string
	eng  *Engine

	mu   sync.Mutex // guards pub and list; held for a few lines only
	pub  *publisher
	list []*subscriber

	// subs is a copy-on-write snapshot of list read by the media readers
	// for every packet without locking.
	subs atomic.Pointer[[]*subscriber]

	tap atomic.Pointer[Tap] // nil unless recorded (tap.go)

	activeMask uint64 // engine ticker only: which layers were sending

	relays relaySet // edges fed from this room (relay_out.go)
}

func (r *room) publisher() *publisher {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pub
}

func (r *room) addSub(s *subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(slices.Clip(r.list), s)
	snap := r.list
	r.subs.Store(&snap)
}

func (r *room) removeSub(s *subscriber) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.Index(r.list, s)
	if i < 0 {
		return
	}
	r.list = slices.Delete(slices.Clone(r.list), i, i+1)
	snap := r.list
	r.subs.Store(&snap)
}

// subscribers returns the current subscribers.
func (r *room) subscribers() []*subscriber {
	if p := r.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// reselect lets every subscriber pick its layer again, after the
// publisher's layer set changed.
func (r *room) reselect() {
	for _, s := range r.subscribers() {
		s.selectLayer(false)
	}
}

// simulcast reports whether the room's publisher offered more than one
// layer (or there is none yet, when a later one may): only then can a
// bandwidth estimate choose between layers.
func (r *room) simulcast() bool {
	p := r.publisher()
	return p == nil || len(p.ranks) > 1
}
