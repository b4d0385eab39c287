package interaction

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
)

// fakeRooms is a room store for tests: room records and push keys.
type fakeRooms struct {
	mu    sync.Mutex
	rooms map[string]RoomInfo
	keys  map[string]string // room → push key
}

func (f *fakeRooms) RoomInfo(_ context.Context, id string) (RoomInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[id]
	if !ok {
		return RoomInfo{}, ErrUnknownRoom
	}
	return r, nil
}

func (f *fakeRooms) PushKeyID(_ context.Context, roomID, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.keys[roomID]; ok && auth.SecretEqual(key, k) {
		return "k1", nil
	}
	return "", auth.ErrInvalidPushKey
}

func (f *fakeRooms) setState(id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.rooms[id]
	r.State = state
	f.rooms[id] = r
}

// pushKey is the test push key of room.
func pushKey(room string) string { return auth.PushKeyPrefix + "push-" + room }

func newFakeRooms(ids ...string) *fakeRooms {
	f := &fakeRooms{rooms: map[string]RoomInfo{}, keys: map[string]string{}}
	for _, id := range ids {
		f.rooms[id] = RoomInfo{State: StateLive}
		f.keys[id] = pushKey(id)
	}
	return f
}

// testClock is a hub's clock: real time plus what the test advanced, so
// that a test skips a rate limit's refill instead of sleeping through it.
type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

var clocks sync.Map // *Hub → *testClock

// advance moves h's clock forward by d.
func advance(h *Hub, d time.Duration) {
	c, _ := clocks.Load(h)
	c.(*testClock).Advance(d)
}

const testAdminToken = "admin-secret-token"

var testUsers = auth.NewVerifier([]byte("user-secret-for-tests-0123456789"), "")

func userToken(t testing.TB, id string) string {
	tok, _, err := testUsers.Mint(id, "name-"+id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newHub starts a hub on b with fast intervals.
func newHub(t testing.TB, b *backend.Backends, ns string, rooms *fakeRooms, tweak func(*Options)) *Hub {
	t.Helper()
	chat := config.Default().Chat
	chat.BatchInterval = 50 * time.Millisecond
	clock := &testClock{}
	creds := auth.Options{AdminToken: testAdminToken, Users: testUsers}
	if rooms != nil {
		creds.PushKeys = rooms
	}
	opts := Options{
		Namespace:        ns,
		Chat:             chat,
		Redis:            b.Redis,
		NATS:             b.NATS,
		JetStream:        b.JetStream,
		Credentials:      auth.New(creds),
		Now:              clock.Now,
		Log:              testenv.Logger(t),
		PresenceInterval: 100 * time.Millisecond,
		FlushInterval:    50 * time.Millisecond,
		TimelineInterval: 200 * time.Millisecond,
	}
	if rooms != nil {
		opts.Rooms = rooms
	}
	if tweak != nil {
		tweak(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := New(ctx, opts, []string{"scam", "垃圾"})
	if err != nil {
		t.Fatalf("interaction.New: %v", err)
	}
	clocks.Store(h, clock)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
		clocks.Delete(h)
	})
	return h
}

// client records what a test peer receives.
type client struct {
	t    testing.TB
	name string
	send func([]byte) error

	mu   sync.Mutex
	msgs []map[string]any
	raw  [][]byte
	ch   chan struct{}
	// lossyBatches counts batches that came on the livesell-lossy channel.
	lossyBatches, lossyOther int
}

func newClient(t testing.TB, name string) *client {
	return &client{t: t, name: name, ch: make(chan struct{}, 1)}
}

func (c *client) add(data []byte) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Errorf("%s received non-JSON %q: %v", c.name, data, err)
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.raw = append(c.raw, append([]byte(nil), data...))
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *client) sendJSON(v map[string]any) {
	c.t.Helper()
	if _, ok := v["v"]; !ok {
		v["v"] = 1
	}
	b, _ := json.Marshal(v)
	if err := c.send(b); err != nil {
		c.t.Fatalf("%s send: %v", c.name, err)
	}
}

// find returns the first received message matching pred.
func (c *client) find(pred func(map[string]any) bool) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if pred(m) {
			return m
		}
	}
	return nil
}

func (c *client) waitFor(what string, timeout time.Duration, pred func(map[string]any) bool) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := c.find(pred); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			c.mu.Lock()
			n := len(c.msgs)
			last := ""
			if n > 0 {
				b, _ := json.Marshal(c.msgs[n-1])
				last = string(b)
			}
			c.mu.Unlock()
			c.t.Fatalf("%s: timed out after %s waiting for %s (%d messages, last %s)", c.name, timeout, what, n, last)
		}
		select {
		case <-c.ch:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func isType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

func isError(code string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "error" && m["code"] == code }
}

// danmakuTexts lists the texts of every danmaku received in batches.
func (c *client) danmakuTexts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m["type"] != "batch" {
			continue
		}
		for _, d := range m["danmaku"].([]any) {
			out = append(out, d.(map[string]any)["text"].(string))
		}
	}
	return out
}

func (c *client) hasDanmaku(text string) bool {
	for _, s := range c.danmakuTexts() {
		if s == text {
			return true
		}
	}
	return false
}

func (c *client) waitDanmaku(text string, timeout time.Duration) {
	c.t.Helper()
	testenv.Eventually(c.t, timeout, func() bool { return c.hasDanmaku(text) }, "%s never got danmaku %q (got %q)", c.name, text, c.danmakuTexts())
}

func (c *client) count(pred func(map[string]any) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if pred(m) {
			n++
		}
	}
	return n
}

func text(i int) string { return fmt.Sprintf("message %d", i) }
