package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/signaling/interaction/protocol"
	"github.com/livesell/livesell/signaling/interaction/queue"
	"github.com/livesell/livesell/signaling/room"
)

// Room is one room's state on this node and its fan-out to local members.
type Room struct {
	hub   *Hub
	id    string
	refs  int // guarded by hub.mu
	ready chan struct{}

	// viewers is the local presence count (WHEP viewers and counted
	// WebSocket clients); online and likesTotal are the room's totals
	// across nodes.
	viewers    atomic.Int64
	online     atomic.Int64
	peak       atomic.Int64
	likesTotal atomic.Int64
	// Deltas flushed to Redis by the hub's background loop.
	likesDelta   atomic.Int64
	danmakuDelta atomic.Int64
	clicksDelta  atomic.Int64

	membersMu sync.Mutex
	members   atomic.Pointer[[]*member] // copy on write

	mu      sync.Mutex // guards everything below
	pending ring       // danmaku for the next batch (at most 2× the viewer queue)
	recent  ring       // last N danmaku, for welcome
	card    json.RawMessage
	cardVer int64
	cardOn  bool
	state   string
	pinned  protocol.Pinned
	info    room.Room
	infoAt  time.Time
	// sanctions are the room's mutes and bans (see sanctions.go).
	sanctions map[string]sanction

	// Owned by the batch loop.
	buf        []byte
	sentOnline int64
	sentLikes  int64

	subs    []*nats.Subscription
	quit    chan struct{}
	stopped sync.WaitGroup
}

func newRoom(h *Hub, id string) *Room {
	r := &Room{
		hub:     h,
		id:      id,
		ready:   make(chan struct{}),
		quit:    make(chan struct{}),
		pending: newRing(2 * h.opts.Chat.ViewerQueueLength),
		recent:  newRing(h.opts.Chat.RecentDanmaku),
		state:   string(room.StateIdle),
	}
	r.members.Store(&[]*member{})
	r.sentOnline, r.sentLikes = -1, -1
	return r
}

// start subscribes to the room's subjects, then loads what a late joiner
// needs (state, pin, counters, current card, recent danmaku), then runs
// the batch loop. Failures to load are logged: the room still works.
func (r *Room) start(ctx context.Context) {
	defer close(r.ready)
	h := r.hub
	for _, s := range []struct {
		subj string
		fn   nats.MsgHandler
	}{
		{h.subjDanmaku(r.id), r.onDanmaku},
		{h.subjLikes(r.id), r.onLikes},
		{h.subjCtl(r.id), r.onCtl},
		{cardSubject(h.ns, r.id), r.onCard},
	} {
		sub, err := h.opts.NATS.Subscribe(s.subj, s.fn)
		if err != nil {
			h.log.Error("room subscription failed", "room", r.id, "subject", s.subj, "err", err)
			continue
		}
		sub.SetPendingLimits(65536, 64<<20)
		r.subs = append(r.subs, sub)
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r.loadMeta(lctx)
	r.refreshInfo(lctx)
	h.loadSanctions(lctx, r)
	h.loadCard(lctx, r)
	h.loadRecent(lctx, r)
	h.wg.Add(1)
	r.stopped.Add(1)
	go r.batchLoop()
}

// stop ends the batch loop and the subscriptions; members are gone.
func (r *Room) stop() {
	<-r.ready
	for _, s := range r.subs {
		s.Unsubscribe()
	}
	close(r.quit)
	r.stopped.Wait()
}

func (r *Room) loadMeta(ctx context.Context) {
	h := r.hub
	pipe := h.opts.Redis.Pipeline()
	meta := pipe.HGetAll(ctx, h.keyMeta(r.id))
	stats := pipe.HGet(ctx, h.keyStats(r.id), "likes")
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		h.log.Warn("room state not loaded", "room", r.id, "err", err)
	}
	m := meta.Val()
	r.mu.Lock()
	if s := m["state"]; s != "" {
		r.state = s
	}
	r.pinned.Text = m["pinned"]
	r.pinned.At, _ = strconv.ParseInt(m["pinned_at"], 10, 64)
	r.mu.Unlock()
	if p, err := strconv.ParseInt(m["peak"], 10, 64); err == nil {
		r.peak.Store(p)
	}
	if n, err := stats.Int64(); err == nil {
		r.likesTotal.Store(n)
	}
}

// refreshInfo reloads the room record (anonymous chat, state) at most every 30s.
func (r *Room) refreshInfo(ctx context.Context) {
	h := r.hub
	r.mu.Lock()
	if !r.infoAt.IsZero() && time.Since(r.infoAt) < 30*time.Second {
		r.mu.Unlock()
		return
	}
	r.infoAt = time.Now()
	r.mu.Unlock()
	info := room.Room{ID: r.id, AnonymousChat: h.opts.Chat.AnonymousChat}
	if h.opts.Rooms != nil {
		got, err := h.opts.Rooms.Get(ctx, r.id)
		if err != nil {
			if !errors.Is(err, room.ErrNotFound) {
				h.log.Warn("room not read", "room", r.id, "err", err)
			}
		} else {
			info = got
		}
	}
	r.mu.Lock()
	r.info = info
	if r.state == string(room.StateIdle) && info.State != "" {
		r.state = string(info.State)
	}
	r.mu.Unlock()
}

func (r *Room) anonymousChat() bool {
	r.refreshInfo(r.hub.ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info.AnonymousChat
}

// batchLoop sends, once per interval, one batch to every member.
func (r *Room) batchLoop() {
	defer r.hub.wg.Done()
	defer r.stopped.Done()
	t := time.NewTicker(r.hub.opts.Chat.BatchInterval)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-r.hub.ctx.Done():
			return
		case <-t.C:
			r.flushBatch()
		}
	}
}

// flushBatch encodes the pending danmaku with the totals once and queues
// the same frame to every member. It sends nothing when nothing changed.
func (r *Room) flushBatch() {
	online, likes := r.online.Load(), r.likesTotal.Load()
	r.mu.Lock()
	n, dropped := r.pending.len(), r.pending.dropped
	if n == 0 && dropped == 0 && online == r.sentOnline && likes == r.sentLikes {
		r.mu.Unlock()
		return
	}
	buf := protocol.AppendBatchStart(r.buf[:0], protocol.BatchHeader{Online: online, LikesTotal: likes})
	first := true
	r.pending.each(func(_ string, d []byte) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, d...)
	})
	r.pending.reset()
	r.mu.Unlock()
	buf, at := protocol.AppendBatchEnd(buf, dropped)
	frame := queue.Frame{Data: append([]byte(nil), buf...), Danmaku: n, DroppedAt: at, Dropped: dropped, At: time.Now()}
	r.buf = buf
	r.sentOnline, r.sentLikes = online, likes
	r.hub.met.batches.Inc()
	if dropped > 0 {
		r.hub.met.dropped.Add(float64(dropped))
	}
	for _, m := range *r.members.Load() {
		m.pushBatch(frame)
	}
}

// broadcast queues a reliable frame to every member. Callers hold r.mu
// when the frame reflects state a joiner's welcome also reads.
func (r *Room) broadcast(data []byte) {
	for _, m := range *r.members.Load() {
		m.pushReliable(data)
	}
}

// addMember queues the welcome and adds m, under r.mu so that no reliable
// frame falls between them.
func (r *Room) addMember(m *member, you protocol.You) {
	r.mu.Lock()
	w := protocol.Welcome{
		Room:       r.id,
		You:        you,
		State:      r.state,
		Pinned:     r.pinned,
		Online:     r.online.Load(),
		LikesTotal: r.likesTotal.Load(),
	}
	if r.cardOn {
		w.Card = r.card
	}
	r.recent.each(func(_ string, d []byte) { w.Recent = append(w.Recent, d) })
	m.pushReliable(protocol.AppendWelcome(nil, &w))
	r.membersMu.Lock()
	old := *r.members.Load()
	next := make([]*member, len(old), len(old)+1)
	copy(next, old)
	next = append(next, m)
	r.members.Store(&next)
	r.membersMu.Unlock()
	r.mu.Unlock()
	r.hub.met.members.Inc()
}

func (r *Room) removeMember(m *member) bool {
	r.membersMu.Lock()
	defer r.membersMu.Unlock()
	old := *r.members.Load()
	for i, x := range old {
		if x == m {
			next := make([]*member, 0, len(old)-1)
			next = append(next, old[:i]...)
			next = append(next, old[i+1:]...)
			r.members.Store(&next)
			r.hub.met.members.Dec()
			return true
		}
	}
	return false
}

// Members is the number of local members (connections receiving events).
func (r *Room) Members() int { return len(*r.members.Load()) }

func (r *Room) closeMembers(code, msg string) {
	for _, m := range *r.members.Load() {
		m.closeWith(code, msg)
	}
}

// onDanmaku receives an accepted danmaku from any node.
func (r *Room) onDanmaku(msg *nats.Msg) {
	var d protocol.Danmaku
	if err := json.Unmarshal(msg.Data, &d); err != nil || !protocol.ValidID(d.ID) {
		r.hub.log.Warn("malformed danmaku on the bus", "room", r.id)
		return
	}
	r.addDanmaku(&d)
}

func (r *Room) addDanmaku(d *protocol.Danmaku) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recent.has(d.ID) {
		return
	}
	r.pending.add(d)
	r.recent.add(d)
}

// onLikes receives a room's like total after some node flushed likes.
func (r *Room) onLikes(msg *nats.Msg) {
	n, err := strconv.ParseInt(string(msg.Data), 10, 64)
	if err != nil {
		return
	}
	r.onLikesTotal(n)
}

// ctlMsg is a control event relayed to every node of a room.
type ctlMsg struct {
	Op        string `json:"op"` // delete, pinned, state, kick
	MessageID string `json:"message_id,omitempty"`
	Text      string `json:"text,omitempty"`
	At        int64  `json:"at,omitempty"`
	State     string `json:"state,omitempty"`
	UserID    string `json:"user_id,omitempty"`
	Code      string `json:"code,omitempty"`
}

func (r *Room) onCtl(msg *nats.Msg) {
	var c ctlMsg
	if err := json.Unmarshal(msg.Data, &c); err != nil {
		return
	}
	switch c.Op {
	case "delete":
		if !protocol.ValidID(c.MessageID) {
			return
		}
		r.mu.Lock()
		r.pending.remove(c.MessageID)
		r.recent.remove(c.MessageID)
		r.broadcast(protocol.AppendDelete(nil, c.MessageID))
		r.mu.Unlock()
	case "pinned":
		r.mu.Lock()
		r.pinned = protocol.Pinned{Text: c.Text, At: c.At}
		r.broadcast(protocol.AppendPinned(nil, r.pinned))
		r.mu.Unlock()
	case "state":
		switch c.State {
		case "live", "paused", "ended", "idle":
		default:
			return
		}
		r.mu.Lock()
		r.state = c.State
		r.broadcast(protocol.AppendState(nil, c.State))
		r.mu.Unlock()
	case "sanction":
		r.applySanction(c)
	case "kick":
		for _, m := range *r.members.Load() {
			if m.who.UserID == c.UserID && !m.anchor && !m.who.Admin {
				m.closeWith(protocol.CodeBanned, "you are banned from this room")
			}
		}
	}
}
