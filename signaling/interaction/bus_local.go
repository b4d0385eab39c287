package interaction

import (
	"context"
	"sync"
	"time"

	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// maxLocalRooms bounds the rooms whose recent danmaku a LocalBus keeps;
// beyond it, the room least recently published to is forgotten.
const maxLocalRooms = 4096

// LocalBus is the Bus of a single node: Publish calls the subscribers in
// the caller's goroutine, and the recent danmaku of each room stay in
// memory (as many as the chat stream of NATSBus would keep, for as long).
type LocalBus struct {
	keep   int
	maxAge time.Duration
	now    func() time.Time

	mu     sync.Mutex
	subs   map[string]map[int]func(Event)
	next   int
	recent map[string]*localRecent
	closed bool
}

type localRecent struct {
	items []protocol.Danmaku
	at    time.Time // last publish
}

// NewLocalBus returns a bus keeping the last keep danmaku of every room
// for at most 24 hours; now is the clock (nil: time.Now).
func NewLocalBus(keep int, now func() time.Time) *LocalBus {
	if keep < 1 {
		keep = 1
	}
	if now == nil {
		now = time.Now
	}
	return &LocalBus{keep: keep, maxAge: 24 * time.Hour, now: now, subs: map[string]map[int]func(Event){}, recent: map[string]*localRecent{}}
}

// Publish implements Bus.
func (b *LocalBus) Publish(_ context.Context, ev Event) error {
	key := ev.Room
	if ev.Kind == EventWords {
		key = ""
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	if ev.Kind == EventDanmaku {
		b.keepLocked(ev.Room, ev.Danmaku)
	}
	fns := make([]func(Event), 0, len(b.subs[key]))
	for _, fn := range b.subs[key] {
		fns = append(fns, fn)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
	return nil
}

func (b *LocalBus) keepLocked(room string, d protocol.Danmaku) {
	now := b.now()
	r := b.recent[room]
	if r == nil {
		if len(b.recent) >= maxLocalRooms {
			b.evictLocked()
		}
		r = &localRecent{}
		b.recent[room] = r
	}
	r.at = now
	if len(r.items) == b.keep {
		copy(r.items, r.items[1:])
		r.items = r.items[:b.keep-1]
	}
	r.items = append(r.items, d)
}

func (b *LocalBus) evictLocked() {
	var oldest string
	var at time.Time
	for id, r := range b.recent {
		if oldest == "" || r.at.Before(at) {
			oldest, at = id, r.at
		}
	}
	delete(b.recent, oldest)
}

// Subscribe implements Bus.
func (b *LocalBus) Subscribe(room string, fn func(Event)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if b.subs[room] == nil {
		b.subs[room] = map[int]func(Event){}
	}
	id := b.next
	b.next++
	b.subs[room][id] = fn
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[room], id)
			if len(b.subs[room]) == 0 {
				delete(b.subs, room)
			}
			b.mu.Unlock()
		})
	}, nil
}

// Recent implements Bus.
func (b *LocalBus) Recent(_ context.Context, room string) ([]protocol.Danmaku, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.recent[room]
	if r == nil {
		return nil, nil
	}
	cut := b.now().Add(-b.maxAge).UnixMilli()
	out := make([]protocol.Danmaku, 0, len(r.items))
	for _, d := range r.items {
		if d.At >= cut {
			out = append(out, d)
		}
	}
	return out, nil
}

// Forget implements Bus.
func (b *LocalBus) Forget(_ context.Context, room, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.recent[room]
	if r == nil {
		return nil
	}
	kept := r.items[:0]
	for _, d := range r.items {
		if d.ID != id {
			kept = append(kept, d)
		}
	}
	r.items = kept
	return nil
}

// Close implements Bus.
func (b *LocalBus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.subs = map[string]map[int]func(Event){}
	b.mu.Unlock()
	return nil
}
