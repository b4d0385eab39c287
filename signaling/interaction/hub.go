package interaction

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/signaling/interaction/moderation"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// ErrClosed means the hub (or its bus) was closed.
var ErrClosed = errors.New("interaction: hub closed")

// ErrBadRoom means a room id is malformed.
var ErrBadRoom = errors.New("interaction: malformed room id")

// Hub is this node's interaction layer: the rooms with local members or
// viewers. Rooms hear each other across nodes through the Bus; counters,
// presence and sanctions are kept in Redis (store); commerce's cards and
// paid orders arrive through the feed.
type Hub struct {
	opts   Options
	node   string
	log    *slog.Logger
	bus    Bus
	store  store
	feed   *feed
	filter *moderation.Filter
	limits limits
	met    *metrics
	mod    *Moderator
	aud    *audience

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the hub and its rooms start

	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool

	pairs   pairing
	seq     atomic.Uint64
	unwords func()
	paidSub *nats.Subscription
	// noticeSub relays room notices from other capabilities (notice.go).
	noticeSub *nats.Subscription
}

// New starts a hub: it makes sure the streams exist, loads the blocked
// words (from Redis, else words) and subscribes to the node-wide events.
// Close stops it.
func New(ctx context.Context, opts Options, words []string) (*Hub, error) {
	opts.defaults()
	if opts.Redis == nil || opts.NATS == nil || opts.JetStream == nil {
		return nil, errors.New("interaction: Redis, NATS and JetStream are required")
	}
	if opts.Credentials == nil {
		return nil, errors.New("interaction: Credentials are required")
	}
	h := &Hub{
		opts:  opts,
		node:  auth.RandomSecret(6),
		log:   opts.Log.With("component", "interaction"),
		bus:   opts.Bus,
		store: store{rdb: opts.Redis, key: keys{ns: opts.Namespace}},
		feed:  &feed{nc: opts.NATS, js: opts.JetStream, ns: opts.Namespace, log: opts.Log},
		rooms: make(map[string]*Room),
	}
	if h.bus == nil {
		h.bus = NewLocalBus(opts.Chat.RecentDanmaku, opts.Now)
	}
	h.mod = &Moderator{h: h}
	h.aud = newAudience(opts.Audience, opts.PseudonymKey, h.log)
	h.limits = newLimits(opts.Chat)
	h.met = newMetrics(opts.Metrics)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	var err error
	if h.filter, err = moderation.NewFilter(nil); err != nil {
		return nil, err
	}
	if err := h.feed.ensureStreams(ctx); err != nil {
		return nil, err
	}
	if err := h.mod.loadWords(ctx, words); err != nil {
		return nil, err
	}
	if h.unwords, err = h.bus.Subscribe("", h.mod.onWords); err != nil {
		return nil, err
	}
	if h.paidSub, err = h.feed.onPaid(h.onPaid); err != nil {
		h.unwords()
		return nil, err
	}
	if h.noticeSub, err = subscribeNotices(ctx, h); err != nil {
		h.unwords()
		h.paidSub.Unsubscribe()
		return nil, err
	}
	h.wg.Add(1)
	go h.backgroundLoop()
	return h, nil
}

// Node is this hub's random node id (as written in Redis presence).
func (h *Hub) Node() string { return h.node }

// Filter is the blocked-word filter.
func (h *Hub) Filter() *moderation.Filter { return h.filter }

// Moderator deletes danmaku, pins, mutes, bans and sets blocked words.
func (h *Hub) Moderator() *Moderator { return h.mod }

func (h *Hub) now() time.Time { return h.opts.Now() }

// Close disconnects every member, writes this node's presence away and
// waits for every goroutine the hub started.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	h.unwords()
	h.paidSub.Unsubscribe()
	h.noticeSub.Unsubscribe()
	for _, r := range rooms {
		r.closeMembers(protocol.CodeInternal, "the server is shutting down")
	}
	h.cancel()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("interaction: close: %w", ctx.Err())
	}
	// Final flush of counters and presence (best effort).
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	for _, r := range rooms {
		r.stop()
		h.flushRoom(fctx, r)
		h.writePresence(fctx, r.id, 0)
	}
	h.aud.flush(h.now())
	if h.opts.Bus == nil {
		h.bus.Close()
	}
	return nil
}

// track counts one more goroutine the hub owns (Close waits for it),
// unless the hub is closed.
func (h *Hub) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// acquire returns the running room id, starting it if needed; release it.
func (h *Hub) acquire(ctx context.Context, id string) (*Room, error) {
	if !roomid.Valid(id) {
		return nil, ErrBadRoom
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	r, ok := h.rooms[id]
	if !ok {
		r = newRoom(h, id)
		h.rooms[id] = r
	}
	r.refs++
	h.mu.Unlock()
	if !ok {
		r.start(ctx)
	}
	select {
	case <-r.ready:
		return r, nil
	case <-ctx.Done():
		h.release(r)
		return nil, ctx.Err()
	}
}

// release drops one reference; the last one stops the room.
func (h *Hub) release(r *Room) {
	h.mu.Lock()
	r.refs--
	last := r.refs == 0
	if last && h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
	h.mu.Unlock()
	if last {
		r.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		h.flushRoom(ctx, r)
		h.writePresence(ctx, r.id, 0)
		cancel()
	}
}

// room returns the running room id, if any.
func (h *Hub) room(id string) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[id]
}

func (h *Hub) snapshotRooms() []*Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r)
	}
	return out
}

// ViewerJoined counts a WHEP viewer's presence in room until left is called.
func (h *Hub) ViewerJoined(roomID string, who auth.Identity) (left func()) {
	return h.ViewerJoinedFrom(roomID, who, "")
}

// ViewerJoinedFrom is ViewerJoined for a viewer whose page reported where
// it came from (share link referral, embed host page, HTTP referrer).
func (h *Hub) ViewerJoinedFrom(roomID string, who auth.Identity, referrer string) (left func()) {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	r, err := h.acquire(ctx, roomID)
	if err != nil {
		h.log.Warn("viewer presence not counted", "room", roomID, "err", err)
		return func() {}
	}
	r.viewers.Add(1)
	h.feed.activity(who, roomID, events.ActivityWatched, "", h.now())
	h.aud.joined(roomID, who, referrer, h.now())
	var once sync.Once
	return func() {
		once.Do(func() {
			r.viewers.Add(-1)
			h.aud.left(roomID, who, h.now())
			h.release(r)
		})
	}
}

// RoomLive records and broadcasts that room's publisher went live or away:
// live, or paused — or ended, when the room store says the anchor ended it.
func (h *Hub) RoomLive(roomID string, live bool) {
	state := StatePaused
	if live {
		state = StateLive
	} else if h.opts.Rooms != nil {
		ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
		if info, err := h.opts.Rooms.RoomInfo(ctx, roomID); err == nil && info.State == StateEnded {
			state = StateEnded
		}
		cancel()
	}
	h.SetState(roomID, state)
}

// SetState records and broadcasts room's state (live, paused, ended, idle).
func (h *Hub) SetState(roomID, state string) {
	if !roomid.Valid(roomID) {
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Second)
	defer cancel()
	if err := h.store.setState(ctx, roomID, state); err != nil {
		h.log.Warn("room state not stored", "room", roomID, "err", err)
	}
	h.mod.publishCtl(ctx, roomID, Control{Op: "state", State: state})
	h.aud.state(roomID, state, h.now())
}

// onPaid shows a paid order in its room's ticker, without personal data.
func (h *Hub) onPaid(roomID string, t protocol.Ticker) {
	if r := h.room(roomID); r != nil {
		r.broadcast(protocol.AppendTicker(nil, t))
	}
}

// nextID returns a message id unique across nodes.
func (h *Hub) nextID() string {
	b := make([]byte, 0, 24)
	b = append(b, h.node...)
	b = append(b, '-')
	b = strconv.AppendUint(b, h.seq.Add(1), 36)
	return string(b)
}

// LoadWordsFile reads a blocked-word file: one word per line, blank lines
// and lines starting with # ignored.
func LoadWordsFile(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("interaction: blocked words: %w", err)
	}
	var words []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words = append(words, line)
	}
	return words, nil
}
