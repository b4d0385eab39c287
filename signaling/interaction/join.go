package interaction

import (
	"context"
	"sync"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// JoinRequest is a transport's request to join a client to a room.
type JoinRequest struct {
	Room string
	// Who is the client, as its credential was checked by the transport.
	Who auth.Identity
	// Anchor is true for the holder of the room's push key.
	Anchor bool
	// IP is the client's address (for per-address rate limits).
	IP      string
	Channel Channel
	// Count adds the client to the room's online count (a WebSocket of a
	// page that does not also play the room over WHEP).
	Count bool
	// Pair lets a later JoinLossy of the same room and user attach an
	// unordered channel to this session (data channels).
	Pair bool
	// Referrer is where a counted client came from, as its page reported
	// it (see CleanReferrer), for the after-show report.
	Referrer string
}

// Session is one joined client: the transport hands it every inbound
// message and closes it when the client leaves.
type Session struct{ m *member }

// Handle processes one inbound message.
func (s *Session) Handle(data []byte) {
	if s.m.ctx.Err() == nil {
		s.m.handle(data)
	}
}

// Close ends the session (idempotent); its channel is closed.
func (s *Session) Close() { s.m.close() }

// Done is closed once the session's writer has stopped.
func (s *Session) Done() <-chan struct{} { return s.m.writerDone }

// Join adds a client to a room: the welcome first, then every event. The
// error is a *protocol.Error (forbidden, banned) or a failure to start the
// room.
func (h *Hub) Join(ctx context.Context, req JoinRequest) (*Session, error) {
	r, err := h.acquire(ctx, req.Room)
	if err != nil {
		return nil, err
	}
	who := req.Who
	if !req.Anchor && !who.Admin {
		if !who.Admits(req.Room, r.private()) {
			h.release(r)
			return nil, protocol.Errorf(protocol.CodeForbidden, "this token does not admit you to this room")
		}
		banned, err := h.store.isBanned(ctx, req.Room, who.UserID)
		if err != nil {
			h.release(r)
			return nil, err
		}
		if banned {
			h.release(r)
			return nil, protocol.Errorf(protocol.CodeBanned, "you are banned from this room")
		}
	}
	var pass *auth.Pass
	if !req.Anchor && !who.Admin {
		if pass, err = (ticketCheck{h.opts.Tickets, h.log}).pass(ctx, req.Room, who); err != nil {
			h.release(r)
			return nil, err
		}
	}
	m := newMember(h, r, who, req.Anchor, req.IP, req.Channel)
	m.pass = pass
	count := req.Count && !req.Anchor
	if count {
		r.viewers.Add(1)
	}
	key := req.Room + "\x00" + who.UserID
	m.onEnd = func() {
		if req.Pair {
			h.pairs.remove(key, m)
		}
		if count {
			r.viewers.Add(-1)
			h.aud.left(req.Room, who, h.now())
		}
		h.release(r)
	}
	you := protocol.You{UserID: m.shownID(), Name: displayName(who.Name), Anonymous: who.Anonymous, Anchor: req.Anchor, Admin: who.Admin}
	you.CanChat = (!who.Anonymous || req.Anchor || who.Admin || r.anonymousChat()) && (pass == nil || pass.Comment)
	r.addMember(m, you)
	if req.Pair {
		h.pairs.set(key, m)
	}
	if !h.track() {
		m.close()
		return nil, ErrClosed
	}
	go m.writeLoop()
	if count {
		h.feed.activity(who, req.Room, events.ActivityWatched, "", h.now())
		h.aud.joined(req.Room, who, req.Referrer, h.now())
	}
	return &Session{m: m}, nil
}

// JoinLossy attaches an unordered channel to the paired session of the
// same room and user, waiting until ctx is done for that session to join
// (the reliable channel may open a moment later). Batches then go over
// lc; detach undoes it when lc closes.
func (h *Hub) JoinLossy(ctx context.Context, roomID, user string, lc LossyChannel) (s *Session, detach func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel) // the hub's Close ends the wait
	defer stop()
	m, err := h.pairs.wait(ctx, roomID+"\x00"+user)
	if err != nil {
		return nil, nil, err
	}
	holder := &lossyHolder{c: lc}
	m.lossy.Store(holder)
	return &Session{m: m}, func() { m.lossy.CompareAndSwap(holder, nil) }, nil
}

// pairing finds a user's reliable data-channel member for their lossy
// channel.
type pairing struct {
	mu    sync.Mutex
	by    map[string]*member  // room + "\x00" + user → latest member
	ready map[string]*waiters // lossy channels waiting for by[key]
}

// waiters share one channel, closed when by[key] is set.
type waiters struct {
	ch chan struct{}
	n  int
}

func (p *pairing) set(key string, m *member) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.by == nil {
		p.by = make(map[string]*member)
	}
	p.by[key] = m
	if w, ok := p.ready[key]; ok {
		close(w.ch)
		delete(p.ready, key)
	}
}

func (p *pairing) remove(key string, m *member) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.by[key] == m {
		delete(p.by, key)
	}
}

// wait returns key's member, waiting for it until ctx is done.
func (p *pairing) wait(ctx context.Context, key string) (*member, error) {
	for {
		p.mu.Lock()
		if m := p.by[key]; m != nil {
			p.mu.Unlock()
			return m, nil
		}
		if p.ready == nil {
			p.ready = make(map[string]*waiters)
		}
		w, ok := p.ready[key]
		if !ok {
			w = &waiters{ch: make(chan struct{})}
			p.ready[key] = w
		}
		w.n++
		p.mu.Unlock()
		select {
		case <-w.ch:
		case <-ctx.Done():
			p.mu.Lock()
			if w.n--; w.n == 0 && p.ready[key] == w {
				delete(p.ready, key) // the last one to give up leaves nothing behind
			}
			p.mu.Unlock()
			return nil, ctx.Err()
		}
	}
}
