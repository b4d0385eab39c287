package interaction

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/interaction/protocol"
	"github.com/livesell/livesell/signaling/interaction/queue"
)

// Conn is one client transport (data channel or WebSocket).
type Conn interface {
	// Send writes one message reliably and in order; it may block for
	// back-pressure until ctx is done.
	Send(ctx context.Context, data []byte) error
	// Close ends the transport.
	Close()
}

// lossyConn is an optional unordered channel for batches.
type lossyConn interface {
	// SendLossy writes data if the channel is open and not backed up.
	SendLossy(data []byte) lossyResult
}

// lossyResult is what SendLossy did.
type lossyResult int

const (
	lossyUnavailable lossyResult = iota // not open: use the reliable channel
	lossySent
	lossyDropped // open but backed up: the batch is lost
)

// pinger is implemented by transports that need keep-alives.
type pinger interface {
	Ping() error
}

// maxFrames bounds one member's queue; reliable frames beyond it mean the
// member is too slow and is disconnected.
const maxFrames = 256

// member is one connection in a room.
type member struct {
	room   *Room
	who    auth.Identity
	anchor bool
	ip     string
	conn   Conn
	lossy  atomic.Pointer[lossyHolder]
	out    *queue.Queue

	ctx     context.Context
	cancel  context.CancelFunc
	once    sync.Once
	closing atomic.Bool
	onEnd   func()

	scratch    []byte        // owned by the writer
	writerDone chan struct{} // closed when the writer has returned
}

type lossyHolder struct{ c lossyConn }

func (h *Hub) newMember(r *Room, who auth.Identity, anchor bool, ip string, conn Conn) *member {
	m := &member{
		room:   r,
		who:    who,
		anchor: anchor,
		ip:     ip,
		conn:   conn,
		out:    queue.New(maxFrames, h.opts.Chat.ViewerQueueLength),

		writerDone: make(chan struct{}),
	}
	m.ctx, m.cancel = context.WithCancel(h.ctx)
	return m
}

func (m *member) pushBatch(f queue.Frame) { m.out.PushBatch(f) }

func (m *member) pushReliable(data []byte) {
	if err := m.out.PushReliable(data); errors.Is(err, queue.ErrFull) {
		m.room.hub.log.Info("viewer too slow, disconnected", "room", m.room.id, "user", m.who.UserID)
		// Not inline: the caller may hold the room's lock, and the last
		// member's close stops the room.
		go m.close()
	}
}

// reply sends an error event about a refused message.
func (m *member) replyError(code, msg, ref string) {
	m.pushReliable(protocol.AppendError(nil, code, msg, ref))
}

// closeWith queues a last error event and closes the member once it is
// sent (or after a second, for a stuck client).
func (m *member) closeWith(code, msg string) {
	if m.closing.Swap(true) {
		return
	}
	m.out.PushReliable(protocol.AppendError(nil, code, msg, ""))
	time.AfterFunc(time.Second, m.close)
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
	if _, ok := m.conn.(pinger); ok {
		t := time.NewTicker(25 * time.Second)
		defer t.Stop()
		ping = t.C
	}
	for {
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
				if err := m.conn.(pinger).Ping(); err != nil {
					return
				}
				continue
			}
		}
		data := f.Data
		if f.Batch {
			if dropped > 0 {
				m.scratch = protocol.WithDropped(m.scratch[:0], f.Data, f.DroppedAt, f.Dropped+dropped)
				data = m.scratch
			}
			if l := m.lossy.Load(); l != nil {
				switch l.c.SendLossy(data) {
				case lossySent:
					m.room.hub.met.writeDelay.Observe(time.Since(f.At).Seconds())
					continue
				case lossyDropped:
					// Counted in the next batch's dropped, like a queue drop.
					m.out.AddDropped(f.Danmaku + f.Dropped + dropped)
					continue
				}
			}
		}
		if err := m.conn.Send(m.ctx, data); err != nil {
			return
		}
		if f.Batch {
			m.room.hub.met.writeDelay.Observe(time.Since(f.At).Seconds())
		}
	}
}

// joinHooks are optional callbacks of join, run before the member's writer
// starts (joined) and once when it leaves (left).
type joinHooks struct {
	joined func(*member)
	left   func(*member)
}

// join adds a connection to room: the welcome first, then every event.
// count adds it to the room's presence.
func (h *Hub) join(ctx context.Context, roomID string, who auth.Identity, anchor bool, ip string, conn Conn, count bool, hooks ...joinHooks) (*member, error) {
	r, err := h.acquire(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !anchor && !who.Admin {
		r.mu.Lock()
		private := r.info.Private
		r.mu.Unlock()
		if !who.Admits(roomID, private) {
			h.release(r)
			return nil, protocol.Errorf(protocol.CodeForbidden, "this token does not admit you to this room")
		}
		banned, err := h.isBanned(ctx, roomID, who.UserID)
		if err != nil {
			h.release(r)
			return nil, err
		}
		if banned {
			h.release(r)
			return nil, protocol.Errorf(protocol.CodeBanned, "you are banned from this room")
		}
	}
	m := h.newMember(r, who, anchor, ip, conn)
	if count {
		r.viewers.Add(1)
	}
	m.onEnd = func() {
		for _, hk := range hooks {
			if hk.left != nil {
				hk.left(m)
			}
		}
		if count {
			r.viewers.Add(-1)
		}
		h.release(r)
	}
	for _, hk := range hooks {
		if hk.joined != nil {
			hk.joined(m)
		}
	}
	you := protocol.You{UserID: who.UserID, Name: who.Name, Anonymous: who.Anonymous, Anchor: anchor, Admin: who.Admin}
	you.CanChat = !who.Anonymous || anchor || who.Admin || r.anonymousChat()
	r.addMember(m, you)
	h.wg.Add(1)
	go m.writeLoop()
	if count && !anchor {
		h.activity(who, roomID, events.ActivityWatched, "")
	}
	return m, nil
}
