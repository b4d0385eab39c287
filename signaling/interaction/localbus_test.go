package interaction

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// On one node (the default LocalBus) a danmaku goes from its sender to
// every viewer without a network hop: not one NATS message is published
// while it travels, on any subject, by anyone.
func TestOneNodeDanmakuCrossesNoNetwork(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	h := newHub(t, b, testenv.Namespace(t), newFakeRooms("solo"), func(o *Options) { o.Chat.DanmakuPerSecond = 50 })
	if _, ok := h.bus.(*LocalBus); !ok {
		t.Fatalf("default bus is %T, want *LocalBus", h.bus)
	}
	var seen atomic.Int64
	var mu sync.Mutex
	var subjects []string
	sub, err := b.NATS.Subscribe(">", func(m *nats.Msg) {
		if strings.HasPrefix(m.Subject, "$JS.EVENT.") {
			return // the server's own advisories (a consumer expiring), not traffic
		}
		if m.Header.Get("Status") == "100" {
			return // a JetStream consumer's idle heartbeat or flow control (the cards and notices streams), not traffic
		}
		seen.Add(1)
		mu.Lock()
		subjects = append(subjects, m.Subject)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := b.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	base := serveHub(t, h)
	alice := wsClient(t, base, "/ws/rooms/solo", "alice", hello(t, "alice"))
	bob := wsClient(t, base, "/ws/rooms/solo", "bob", hello(t, "bob"))
	for _, c := range []*client{alice, bob} {
		c.WaitFor("welcome", 10*time.Second, isType("welcome"))
	}
	// Joining publishes each viewer's "watched" activity (for commerce):
	// counted from when both have arrived.
	activities := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range subjects {
			if strings.HasSuffix(s, ".user.activity") {
				n++
			}
		}
		return n
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return activities() == 2 }, "the two joins' activity never arrived")
	if err := b.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	seen.Store(0)
	mu.Lock()
	subjects = nil
	mu.Unlock()
	before := b.NATS.Stats().OutMsgs
	for i := 0; i < 10; i++ {
		alice.SendJSON(map[string]any{"type": "danmaku", "text": text(i)})
	}
	for i := 0; i < 10; i++ {
		bob.WaitDanmaku(text(i), 10*time.Second)
	}
	if err := b.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	if n, out := seen.Load(), b.NATS.Stats().OutMsgs-before; n != 0 || out != 0 {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("10 danmaku on one node made %d NATS messages %q (%d published by the hub's connection), want 0", n, subjects, out)
	}
}

// LocalBus keeps the last danmaku of a room for late joiners, forgets
// deleted ones, and stops delivering once unsubscribed.
func TestLocalBus(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_700_000_000_000)
	bus := NewLocalBus(3, func() time.Time { return now })
	var got []string
	cancel, err := bus.Subscribe("r", func(ev Event) { got = append(got, ev.Danmaku.ID) })
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if err := bus.Publish(ctx, Event{Kind: EventDanmaku, Room: "r", Danmaku: protocol.Danmaku{ID: id, At: now.UnixMilli()}}); err != nil {
			t.Fatal(err)
		}
	}
	bus.Publish(ctx, Event{Kind: EventDanmaku, Room: "other", Danmaku: protocol.Danmaku{ID: "x", At: now.UnixMilli()}})
	if err := bus.Forget(ctx, "r", "c"); err != nil {
		t.Fatal(err)
	}
	cancel()
	bus.Publish(ctx, Event{Kind: EventDanmaku, Room: "r", Danmaku: protocol.Danmaku{ID: "e", At: now.UnixMilli()}})
	recent, _ := bus.Recent(ctx, "r")
	var ids []string
	for _, d := range recent {
		ids = append(ids, d.ID)
	}
	if want := "abcd"; joined(got) != want {
		t.Errorf("delivered %q, want %q in order", joined(got), want)
	}
	if want := "bde"; joined(ids) != want {
		t.Errorf("recent %q, want %q (last 3, c forgotten)", joined(ids), want)
	}
	now = now.Add(25 * time.Hour)
	if recent, _ := bus.Recent(ctx, "r"); len(recent) != 0 {
		t.Errorf("danmaku older than a day still recent: %v", recent)
	}
	bus.Close()
	if err := bus.Publish(ctx, Event{Kind: EventLikes, Room: "r"}); err == nil {
		t.Error("publish after close succeeded")
	}
}

func joined(s []string) string {
	out := ""
	for _, x := range s {
		out += x
	}
	return out
}
