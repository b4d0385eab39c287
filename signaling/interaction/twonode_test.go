package interaction

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
)

// natsBus makes o's hub share rooms over b's NATS.
func natsBus(t testing.TB, b *backend.Backends, ns string) func(*Options) {
	return func(o *Options) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		bus, err := NewNATSBus(ctx, b.NATS, b.JetStream, ns, config.Default().Chat.RecentDanmaku, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		o.Bus = bus
		o.Chat.DanmakuPerSecond = 50
	}
}

func hello(t testing.TB, user string) map[string]any {
	return map[string]any{"type": "hello", "token": userToken(t, user)}
}

// TestTwoNodes runs two hubs on the real NATS and Redis with one
// namespace: a viewer on one sees danmaku sent on the other, once each and
// in order, the online count is the sum of both nodes, likes add up, and a
// node that dies without saying goodbye stops counting after its presence
// TTL.
func TestTwoNodes(t *testing.T) {
	ns := testenv.Namespace(t)
	rooms := newFakeRooms("live1")
	b1, b2 := testenv.Backends(t, testenv.Real), testenv.Backends(t, testenv.Real)
	h1 := newHub(t, b1, ns, rooms, natsBus(t, b1, ns))
	h2 := newHub(t, b2, ns, rooms, natsBus(t, b2, ns))
	base1, base2 := serveHub(t, h1), serveHub(t, h2)

	a := wsClient(t, base1, "/ws/rooms/live1", "ann@1", hello(t, "ann"))
	bClient := wsClient(t, base2, "/ws/rooms/live1", "ben@2", hello(t, "ben"))
	a.WaitFor("welcome", 10*time.Second, isType("welcome"))
	bClient.WaitFor("welcome", 10*time.Second, isType("welcome"))

	a.SendJSON(map[string]any{"type": "danmaku", "text": "from node one"})
	bClient.SendJSON(map[string]any{"type": "danmaku", "text": "from node two"})
	bClient.WaitDanmaku("from node one", 10*time.Second)
	a.WaitDanmaku("from node two", 10*time.Second)

	// A burst on node one arrives on node two once each, in order.
	var want []string
	for i := 0; i < 20; i++ {
		want = append(want, fmt.Sprintf("burst %02d", i))
		a.SendJSON(map[string]any{"type": "danmaku", "text": want[i], "ref": want[i]})
		a.WaitFor("ack "+want[i], 10*time.Second, func(m map[string]any) bool { return m["type"] == "ack" && m["ref"] == want[i] })
	}
	bClient.WaitDanmaku(want[len(want)-1], 10*time.Second)
	var got []string
	for _, s := range bClient.DanmakuTexts() {
		if strings.HasPrefix(s, "burst ") {
			got = append(got, s)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("node two received %q, want %q once each in order", got, want)
	}

	// WHEP viewers without a channel count too: 1+2 on node one, 1 on node two.
	left1 := h1.ViewerJoined("live1", auth.Identity{UserID: "v1"})
	left2 := h1.ViewerJoined("live1", auth.Anonymous())
	left3 := h2.ViewerJoined("live1", auth.Identity{UserID: "v3"})
	for _, base := range []string{base1, base2} {
		testenv.Eventually(t, 10*time.Second, func() bool {
			st, body := httpDo(t, "GET", base+"/api/rooms/live1/online", "", nil)
			return st == 200 && body["online"] == float64(5) && body["peak"] == float64(5)
		}, "online on %s never reached 5", base)
	}
	for _, c := range []*client{a, bClient} {
		c.WaitFor("batch online 5", 10*time.Second, func(m map[string]any) bool { return m["type"] == "batch" && m["online"] == float64(5) })
	}
	left1()
	left1() // idempotent
	left2()
	left3()
	testenv.Eventually(t, 10*time.Second, func() bool {
		st, body := httpDo(t, "GET", base2+"/api/rooms/live1/online", "", nil)
		return st == 200 && body["online"] == float64(2) && body["peak"] == float64(5)
	}, "online never fell back to 2 with peak 5")

	// Likes on both nodes add up on both.
	a.SendJSON(map[string]any{"type": "like", "count": 10})
	bClient.SendJSON(map[string]any{"type": "like", "count": 5})
	for _, c := range []*client{a, bClient} {
		c.WaitFor("likes 15", 10*time.Second, func(m map[string]any) bool { return m["type"] == "batch" && m["likes_total"] == float64(15) })
	}

	// A late joiner on node two sees node one's danmaku in its welcome.
	late := wsClient(t, base2, "/ws/rooms/live1", "cat@2", hello(t, "cat"))
	w := late.WaitFor("welcome", 10*time.Second, isType("welcome"))
	found := false
	for _, d := range w["recent"].([]any) {
		if d.(map[string]any)["text"] == "from node one" {
			found = true
		}
	}
	if !found {
		t.Fatalf("welcome on node two lacks node one's danmaku: %v", w["recent"])
	}

	// A mute on node one holds on node two at once.
	if err := h1.Moderator().Mute(context.Background(), "live1", "ben", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return h2.room("live1").sanctionOf("ben") == "muted" }, "node two never learned the mute")
	bClient.SendJSON(map[string]any{"type": "danmaku", "text": "muted?", "ref": "mu"})
	bClient.WaitFor("muted on node two", 10*time.Second, isError("muted"))
	// A room that starts later reads mutes and bans from Redis.
	if err := b1.Redis.Set(context.Background(), h1.store.key.ban("live2", "dan"), "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	left := h2.ViewerJoined("live2", auth.Identity{UserID: "x"})
	if got := h2.room("live2").sanctionOf("dan"); got != "banned" {
		t.Fatalf("sanction of dan in a fresh room = %q, want banned", got)
	}
	left()

	// A crashed node's count expires: write a ghost entry that expired.
	ctx := context.Background()
	if err := b1.Redis.HSet(ctx, h1.store.key.online("live1"), "ghost", "100 1").Err(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		online, _, err := h1.Online(ctx, "live1")
		return err == nil && online == 3
	}, "online with an expired ghost never settled at 3")
	if n, _ := b1.Redis.HExists(ctx, h1.store.key.online("live1"), "ghost").Result(); n {
		t.Fatal("expired ghost entry was not removed")
	}
}
