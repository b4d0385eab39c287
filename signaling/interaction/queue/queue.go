// Package queue is the per-viewer send queue of room interaction: frames
// shared between viewers wait here until the viewer's writer sends them.
// Batch frames (danmaku, likes, online count) are lossy: when a slow viewer
// has more than its limit of danmaku waiting, the oldest batches are dropped
// and the count is reported with the next batch sent. Reliable frames
// (cards, state, deletes, errors) are never dropped; a viewer that lets too
// many of them pile up is too slow and must be disconnected.
package queue

import (
	"errors"
	"sync"
	"time"
)

// ErrFull means a reliable frame did not fit: the viewer is too slow.
var ErrFull = errors.New("queue: full of reliable frames")

// ErrClosed means the queue was closed.
var ErrClosed = errors.New("queue: closed")

// Frame is one encoded message. Data is shared and never modified.
type Frame struct {
	Data []byte
	// Batch frames are lossy; Danmaku is how many danmaku they carry and
	// DroppedAt the offset of their dropped count (see protocol.WithDropped).
	Batch     bool
	Danmaku   int
	DroppedAt int
	// Dropped is the count already encoded in Data.
	Dropped int
	// At is when the frame was queued (for the write-delay metric).
	At time.Time
}

// Queue is a bounded queue of frames for one viewer. Safe for one or more
// producers and one consumer.
type Queue struct {
	mu      sync.Mutex
	ring    []Frame
	head, n int
	danmaku int // danmaku waiting in batch frames
	dropped int // danmaku dropped since the last batch popped
	limit   int
	closed  bool
	notify  chan struct{}
}

// New returns a queue holding at most frames frames and, in batch frames,
// at most limit danmaku.
func New(frames, limit int) *Queue {
	if frames < 2 {
		frames = 2
	}
	if limit < 1 {
		limit = 1
	}
	return &Queue{ring: make([]Frame, frames), limit: limit, notify: make(chan struct{}, 1)}
}

// Ready is signalled when frames arrive or the queue closes.
func (o *Queue) Ready() <-chan struct{} { return o.notify }

// PushBatch queues a batch frame. Waiting batches without danmaku are
// superseded and removed; then, while the danmaku waiting would exceed the
// limit (or the ring is full), the oldest batch is dropped and counted.
func (o *Queue) PushBatch(f Frame) error {
	f.Batch = true
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	o.removeBatches(func(g *Frame) bool { return g.Danmaku == 0 })
	for (o.danmaku+f.Danmaku > o.limit || o.n == len(o.ring)) && o.dropOldestBatch() {
	}
	if o.n == len(o.ring) {
		// Only reliable frames wait; this batch is lost.
		o.dropped += f.Danmaku
		o.mu.Unlock()
		return nil
	}
	o.push(f)
	o.danmaku += f.Danmaku
	o.mu.Unlock()
	o.signal()
	return nil
}

// PushReliable queues a frame that must not be dropped. If the ring is
// full, the oldest batch makes room; if there is none, ErrFull.
func (o *Queue) PushReliable(data []byte) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrClosed
	}
	if o.n == len(o.ring) && !o.dropOldestBatch() {
		o.mu.Unlock()
		return ErrFull
	}
	o.push(Frame{Data: data})
	o.mu.Unlock()
	o.signal()
	return nil
}

// Pop returns the oldest frame. For a batch frame, dropped is the number
// of danmaku this viewer lost before it (to add to the frame's own count);
// it is reset. ok is false when nothing waits.
func (o *Queue) Pop() (f Frame, dropped int, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == 0 {
		return Frame{}, 0, false
	}
	f = o.ring[o.head]
	o.ring[o.head] = Frame{}
	o.head = (o.head + 1) % len(o.ring)
	o.n--
	if f.Batch {
		o.danmaku -= f.Danmaku
		dropped, o.dropped = o.dropped, 0
	}
	return f, dropped, true
}

// AddDropped counts n danmaku lost elsewhere (a batch dropped by a lossy
// transport), to be reported with the next batch popped.
func (o *Queue) AddDropped(n int) {
	o.mu.Lock()
	o.dropped += n
	o.mu.Unlock()
}

// Len is the number of waiting frames.
func (o *Queue) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// Close discards waiting frames and refuses new ones.
func (o *Queue) Close() {
	o.mu.Lock()
	o.closed = true
	for o.n > 0 {
		o.ring[o.head] = Frame{}
		o.head = (o.head + 1) % len(o.ring)
		o.n--
	}
	o.mu.Unlock()
	o.signal()
}

// Closed reports whether Close was called.
func (o *Queue) Closed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

func (o *Queue) signal() {
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

func (o *Queue) push(f Frame) {
	o.ring[(o.head+o.n)%len(o.ring)] = f
	o.n++
}

// dropOldestBatch removes the oldest batch frame, counting its danmaku.
func (o *Queue) dropOldestBatch() bool {
	first := true
	removed := false
	o.removeBatches(func(g *Frame) bool {
		if first {
			first = false
			removed = true
			return true
		}
		return false
	})
	return removed
}

// removeBatches removes the batch frames for which drop is true, keeping
// the order of the rest, and counts what they carried (their danmaku and
// the room's drops they reported) as dropped.
func (o *Queue) removeBatches(drop func(*Frame) bool) {
	w := 0
	size := len(o.ring)
	for r := 0; r < o.n; r++ {
		f := o.ring[(o.head+r)%size]
		if f.Batch && drop(&f) {
			o.danmaku -= f.Danmaku
			o.dropped += f.Danmaku + f.Dropped
			continue
		}
		o.ring[(o.head+w)%size] = f
		w++
	}
	for i := w; i < o.n; i++ {
		o.ring[(o.head+i)%size] = Frame{}
	}
	o.n = w
}
