package interaction

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/signaling/interaction/protocol"
	"github.com/livesell/livesell/signaling/interaction/queue"
)

// Channel is one client's message channel: a data channel or a WebSocket
// (the transports adapt theirs to it).
type Channel interface {
	// Send writes one message reliably and in order; it may block for
	// back-pressure until ctx is done.
	Send(ctx context.Context, data []byte) error
	// Close ends the channel.
	Close()
}

// Pinger is implemented by channels that need keep-alives (WebSocket).
type Pinger interface {
	Ping() error
}

// LossyChannel is an optional unordered channel for batches.
type LossyChannel interface {
	// SendLossy writes data if the channel is open and not backed up.
	SendLossy(data []byte) LossyResult
}

// LossyResult is what SendLossy did.
type LossyResult int

// Lossy results.
const (
	LossyUnavailable LossyResult = iota // not open: use the reliable channel
	LossySent
	LossyDropped // open but backed up: the batch is lost
)

// maxFrames bounds one member's queue; reliable frames beyond it mean the
// member is too slow and is disconnected.
const maxFrames = 256

// closeGrace is how long a member being closed with a last error event
// may take to send it.
const closeGrace = time.Second

// member is one connection in a room.
type member struct {
	room   *Room
	who    auth.Identity
	anchor bool
	// moderator members (anchor, admin) see real user ids.
	moderator bool
	ip        string
	// pass is the member's ticket in a ticketed room (nil: the room
	// sells no access, or the member is the anchor or an admin).
	pass  *auth.Pass
	conn  Channel
	lossy atomic.Pointer[lossyHolder]
	out   *queue.Queue

	ctx     context.Context
	cancel  context.CancelFunc
	once    sync.Once
	closing atomic.Bool
	onEnd   func()

	scratch    []byte        // owned by the writer
	writerDone chan struct{} // closed when the writer has returned
}

type lossyHolder struct{ c LossyChannel }

func newMember(h *Hub, r *Room, who auth.Identity, anchor bool, ip string, conn Channel) *member {
	m := &member{
		room:      r,
		who:       who,
		anchor:    anchor,
		moderator: anchor || who.Admin,
		ip:        ip,
		conn:      conn,
		out:       queue.New(maxFrames, h.opts.Chat.ViewerQueueLength),

		writerDone: make(chan struct{}),
	}
	m.ctx, m.cancel = context.WithCancel(h.ctx)
	return m
}

// shownID is the member's user id as other viewers see it.
func (m *member) shownID() string {
	if m.moderator {
		return m.who.UserID
	}
	return pseudonym(m.room.hub.opts.PseudonymKey, m.room.id, m.who.UserID)
}

func (m *member) pushBatch(f queue.Frame) { m.out.PushBatch(f) }

func (m *member) pushReliable(data []byte) {
	if err := m.out.PushReliable(data); errors.Is(err, queue.ErrFull) {
		m.room.hub.log.Info("viewer too slow, disconnected", "room", m.room.id, "user", m.who.UserID)
		// The writer ends the member (the caller may hold the room's lock,
		// and the last member's close stops the room).
		m.cancel()
	}
}

// replyError sends an error event about a refused message.
func (m *member) replyError(code, msg, ref string) {
	m.pushReliable(protocol.AppendError(nil, code, msg, ref))
}

// closeWith queues a last error event; the writer sends it and ends the
// member (or ends it after closeGrace, for a stuck client).
func (m *member) closeWith(code, msg string) {
	if m.closing.Swap(true) {
		return
	}
	m.out.PushReliable(protocol.AppendError(nil, code, msg, ""))
}

// close ends the member once: the writer stops, the transport closes and
// the room reference is released.
func (m *member) close() {
	m.once.Do(func() {
		m.cancel()
		m.out.Close()
		m.conn.Close()
		m.room.removeMember(m)
		if m.onEnd != nil {
			m.onEnd()
		}
	})
}

// writeLoop sends queued frames until the member closes.
func (m *member) writeLoop() {
	defer m.room.hub.wg.Done()
	defer close(m.writerDone)
	defer m.close()
	var ping <-chan time.Time
	if _, ok := m.conn.(Pinger); ok {
		t := time.NewTicker(25 * time.Second)
		defer t.Stop()
		ping = t.C
	}
	ctx := m.ctx
	for {
		if ctx == m.ctx && m.closing.Load() {
			// Closing: what is queued (the last error event) gets closeGrace.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(m.ctx, closeGrace)
			defer cancel()
		}
		f, dropped, ok := m.out.Pop()
		if !ok {
			if m.closing.Load() {
				return
			}
			select {
			case <-m.out.Ready():
				continue
			case <-m.ctx.Done():
				return
			case <-ping:
				if err := m.conn.(Pinger).Ping(); err != nil {
					return
				}
				continue
			}
		}
		if !m.send(ctx, f, dropped) {
			return
		}
	}
}

// send writes one frame: batches on the lossy channel when it is open.
// It reports false when the member must end.
func (m *member) send(ctx context.Context, f queue.Frame, dropped int) bool {
	data := f.Data
	if f.Batch {
		if dropped > 0 {
			m.scratch = protocol.WithDropped(m.scratch[:0], f.Data, f.DroppedAt, f.Dropped+dropped)
			data = m.scratch
		}
		if l := m.lossy.Load(); l != nil {
			switch l.c.SendLossy(data) {
			case LossySent:
				m.room.hub.met.writeDelay.Observe(m.room.hub.now().Sub(f.At).Seconds())
				return true
			case LossyDropped:
				// Counted in the next batch's dropped, like a queue drop.
				m.out.AddDropped(f.Danmaku + f.Dropped + dropped)
				return true
			}
		}
	}
	if err := m.conn.Send(ctx, data); err != nil {
		return false
	}
	if f.Batch {
		m.room.hub.met.writeDelay.Observe(m.room.hub.now().Sub(f.At).Seconds())
	}
	return true
}
