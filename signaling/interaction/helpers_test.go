package interaction

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction/interactiontest"
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

type testClock = interactiontest.Clock

var clocks sync.Map // *Hub → *testClock

// advance moves h's clock forward by d.
func advance(h *Hub, d time.Duration) {
	c, _ := clocks.Load(h)
	c.(*testClock).Advance(d)
}

// verifyNoLeaks checks, when the test ends, that every goroutine started
// from now on has ended. A first hub on b creates the streams (whose server
// goroutines live as long as the backends) before counting starts.
func verifyNoLeaks(t *testing.T, b *backend.Backends, ns string) func() {
	first := newHub(t, b, ns, nil, nil)
	first.Close(context.Background())
	return func() {
		goleak.VerifyNone(t, goleak.IgnoreCurrent(),
			// pooled connections of the embedded Redis (owned by the backends)
			goleak.IgnoreAnyFunction("github.com/alicebob/miniredis/v2/server.(*Server).servePeer"),
			goleak.IgnoreAnyFunction("github.com/alicebob/miniredis/v2/server.(*Server).servePeer.func2"))
	}
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
type client = interactiontest.Client

var (
	newClient = interactiontest.NewClient
	isType    = interactiontest.IsType
	isError   = interactiontest.IsError
)

func text(i int) string { return fmt.Sprintf("message %d", i) }
