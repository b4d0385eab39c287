package interaction

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/signaling/interaction/protocol"
	"github.com/livesell/livesell/signaling/interaction/queue"
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
	// moderators counts members that see real user ids (anchor, admin).
	moderators atomic.Int32

	mu      sync.Mutex // guards everything below
	pending ring       // danmaku for the next batch (at most 2× the viewer queue)
	recent  ring       // last N danmaku, for welcome
	card    json.RawMessage
	cardVer int64
	cardOn  bool
	state   string
	pinned  protocol.Pinned
	info    RoomInfo
	infoAt  time.Time
	// sanctions are the room's mutes and bans (see sanctions.go);
	// sanctionSeq counts the changes applied to them.
	sanctions   map[string]sanction
	sanctionSeq uint64
	// pseudonyms caches the ids viewers see (user → pseudonym).
	pseudonyms map[string]string
	// notices are the room's reliable and best-effort notices (notice.go).
	notices noticeBox

	// Owned by the batch loop: the viewers' and the moderators' encodings.
	buf, modBuf []byte
	sentOnline  int64
	sentLikes   int64

	unsubscribe func()
	cardSub     *nats.Subscription
	quit        chan struct{}
	stopOnce    sync.Once
	stopped     sync.WaitGroup
}

func newRoom(h *Hub, id string) *Room {
	r := &Room{
		hub:     h,
		id:      id,
		ready:   make(chan struct{}),
		quit:    make(chan struct{}),
		pending: newRing(2 * h.opts.Chat.ViewerQueueLength),
		recent:  newRing(h.opts.Chat.RecentDanmaku),
		state:   StateIdle,
	}
	r.members.Store(&[]*member{})
	r.sentOnline, r.sentLikes = -1, -1
	return r
}

// start subscribes to the room's events, then loads what a late joiner
// needs (state, pin, counters, current card, recent danmaku), then runs
// the batch loop. Failures to load are logged: the room still works.
func (r *Room) start(ctx context.Context) {
	defer close(r.ready)
	h := r.hub
	var err error
	if r.unsubscribe, err = h.bus.Subscribe(r.id, r.onEvent); err != nil {
		h.log.Error("room subscription failed", "room", r.id, "err", err)
	}
	if r.cardSub, err = h.feed.onCard(r.id, func(data []byte) { r.setCard(data, true) }); err != nil {
		h.log.Error("room card subscription failed", "room", r.id, "err", err)
	}
	lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r.loadMeta(lctx)
	r.refreshInfo(lctx)
	r.loadSanctions(lctx)
	r.loadCard(lctx)
	r.loadRecent(lctx)
	loadNotices(lctx, r)
	if !h.track() {
		return // the hub closed meanwhile
	}
	r.stopped.Add(1)
	go r.batchLoop()
}

// stop ends the batch loop and the subscriptions (once); members are gone.
func (r *Room) stop() {
	<-r.ready
	r.stopOnce.Do(func() {
		if r.unsubscribe != nil {
			r.unsubscribe()
		}
		if r.cardSub != nil {
			r.cardSub.Unsubscribe()
		}
		close(r.quit)
	})
	r.stopped.Wait()
}

func (r *Room) loadMeta(ctx context.Context) {
	m, err := r.hub.store.loadMeta(ctx, r.id)
	if err != nil {
		r.hub.log.Warn("room state not loaded", "room", r.id, "err", err)
	}
	r.mu.Lock()
	if m.state != "" {
		r.state = m.state
	}
	r.pinned = protocol.Pinned{Text: m.pinned, At: m.pinnedAt}
	r.mu.Unlock()
	r.peak.Store(m.peak)
	r.likesTotal.Store(m.likes)
}

// refreshInfo reloads the room record (anonymous chat, state) at most every 30s.
func (r *Room) refreshInfo(ctx context.Context) {
	h := r.hub
	now := h.now()
	r.mu.Lock()
	if !r.infoAt.IsZero() && now.Sub(r.infoAt) < 30*time.Second {
		r.mu.Unlock()
		return
	}
	r.infoAt = now
	r.mu.Unlock()
	info := RoomInfo{AnonymousChat: h.opts.Chat.AnonymousChat}
	if h.opts.Rooms != nil {
		got, err := h.opts.Rooms.RoomInfo(ctx, r.id)
		if err != nil {
			if !errors.Is(err, ErrUnknownRoom) {
				h.log.Warn("room not read", "room", r.id, "err", err)
			}
		} else {
			info = got
		}
	}
	r.mu.Lock()
	r.info = info
	if r.state == StateIdle && info.State != "" {
		r.state = info.State
	}
	r.mu.Unlock()
}

func (r *Room) anonymousChat() bool {
	r.refreshInfo(r.hub.ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info.AnonymousChat
}

func (r *Room) private() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info.Private
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

// flushBatch encodes the pending danmaku with the totals once (twice when
// moderators are present: they see real user ids) and queues the same
// frame to every member. It sends nothing when nothing changed.
func (r *Room) flushBatch() {
	flushNotices(r)
	online, likes := r.online.Load(), r.likesTotal.Load()
	mods := r.moderators.Load() > 0
	r.mu.Lock()
	n, dropped := r.pending.len(), r.pending.dropped
	if n == 0 && dropped == 0 && online == r.sentOnline && likes == r.sentLikes {
		r.mu.Unlock()
		return
	}
	head := protocol.BatchHeader{Online: online, LikesTotal: likes}
	buf := protocol.AppendBatchStart(r.buf[:0], head)
	modBuf := r.modBuf[:0]
	if mods {
		modBuf = protocol.AppendBatchStart(modBuf, head)
	}
	first := true
	r.pending.each(func(s *slot) {
		if !first {
			buf = append(buf, ',')
			if mods {
				modBuf = append(modBuf, ',')
			}
		}
		first = false
		buf = append(buf, s.pub...)
		if mods {
			modBuf = append(modBuf, s.data...)
		}
	})
	r.pending.reset()
	r.mu.Unlock()
	now := r.hub.now()
	buf, at := protocol.AppendBatchEnd(buf, dropped)
	frame := queue.Frame{Data: append([]byte(nil), buf...), Danmaku: n, DroppedAt: at, Dropped: dropped, At: now}
	r.buf = buf
	modFrame := frame
	if mods {
		modBuf, at = protocol.AppendBatchEnd(modBuf, dropped)
		modFrame = queue.Frame{Data: append([]byte(nil), modBuf...), Danmaku: n, DroppedAt: at, Dropped: dropped, At: now}
		r.modBuf = modBuf
	}
	r.sentOnline, r.sentLikes = online, likes
	r.hub.met.batches.Inc()
	if dropped > 0 {
		r.hub.met.dropped.Add(float64(dropped))
	}
	for _, m := range *r.members.Load() {
		if m.moderator {
			m.pushBatch(modFrame)
		} else {
			m.pushBatch(frame)
		}
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
	r.recent.each(func(s *slot) {
		if m.moderator {
			w.Recent = append(w.Recent, s.data)
		} else {
			w.Recent = append(w.Recent, s.pub)
		}
	})
	m.pushReliable(protocol.AppendWelcome(nil, &w))
	r.notices.replay(m, r.hub.now())
	r.membersMu.Lock()
	old := *r.members.Load()
	next := make([]*member, len(old), len(old)+1)
	copy(next, old)
	next = append(next, m)
	r.members.Store(&next)
	if m.moderator {
		r.moderators.Add(1)
	}
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
			if m.moderator {
				r.moderators.Add(-1)
			}
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
