package interaction

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// publishNotice publishes n as commerce's notice publisher does.
func publishNotice(t *testing.T, b *backend.Backends, ns string, n events.Notice) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.JetStream.CreateStream(ctx, events.NoticesStreamConfig(ns)); err != nil && err != jetstream.ErrStreamNameAlreadyInUse {
		t.Fatal(err)
	}
	data, _ := json.Marshal(n)
	if _, err := b.JetStream.Publish(ctx, events.NoticeSubject(ns, n.Room), data, jetstream.WithMsgID(n.ID)); err != nil {
		t.Fatal(err)
	}
}

func isNotice(id string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "notice" && m["id"] == id }
}

// TestNoticeRelay: a notice published on NATS reaches the members of the
// room on both nodes as a "notice" message with its data unchanged; a
// reliable one is shown to a member who joins while it is current (on a
// node that started the room after it was published) and not after its
// Until; a best-effort one reaches current members; a republished notice
// is shown once; a notice for another room is not shown.
func TestNoticeRelay(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		rooms := newFakeRooms("live1", "other")
		h1 := newHub(t, b, ns, rooms, natsBus(t, b, ns))
		h2 := newHub(t, b, ns, rooms, natsBus(t, b, ns))
		base1, base2 := serveHub(t, h1), serveHub(t, h2)
		a := wsClient(t, base1, "/ws/rooms/live1", "ann@1", hello(t, "ann"))
		a.WaitFor("welcome", 10*time.Second, isType("welcome"))
		other := wsClient(t, base1, "/ws/rooms/other", "oli@1", hello(t, "oli"))
		other.WaitFor("welcome", 10*time.Second, isType("welcome"))

		until := time.Now().Add(time.Minute).UTC()
		pushed := events.Notice{ID: "c-1", Room: "live1", Kind: "coupon.pushed", Reliable: true, Until: &until,
			Data: json.RawMessage(`{"coupon_id":"cp1","title":"¥20 off over ¥199"}`), At: time.Now().UTC()}
		publishNotice(t, b, ns, pushed)
		publishNotice(t, b, ns, pushed) // a republish: shown once
		got := a.WaitFor("reliable notice on node one", 10*time.Second, isNotice("c-1"))
		if got["kind"] != "coupon.pushed" || got["reliable"] != true || got["until"] == nil {
			t.Fatalf("notice = %v", got)
		}
		if d, _ := got["data"].(map[string]any); d["title"] != "¥20 off over ¥199" {
			t.Fatalf("notice data = %v", got["data"])
		}

		// Node two starts the room after the notice: a joiner still sees it.
		late := wsClient(t, base2, "/ws/rooms/live1", "ben@2", hello(t, "ben"))
		late.WaitFor("welcome", 10*time.Second, isType("welcome"))
		late.WaitFor("kept notice for a late joiner", 10*time.Second, isNotice("c-1"))

		// Best-effort notices reach the current members of both nodes.
		publishNotice(t, b, ns, events.Notice{ID: "g-1", Room: "live1", Kind: "gift.sent", Data: json.RawMessage(`{"gift":"rose"}`), At: time.Now().UTC()})
		a.WaitFor("best-effort notice on node one", 10*time.Second, isNotice("g-1"))
		late.WaitFor("best-effort notice on node two", 10*time.Second, isNotice("g-1"))

		// A joiner after Until does not see the coupon; nor the best-effort one.
		advance(h1, 2*time.Minute)
		after := wsClient(t, base1, "/ws/rooms/live1", "cat@1", hello(t, "cat"))
		after.WaitFor("welcome", 10*time.Second, isType("welcome"))
		publishNotice(t, b, ns, events.Notice{ID: "mark", Room: "live1", Kind: "draw.opened", Reliable: true, At: time.Now().UTC()})
		after.WaitFor("a later notice", 10*time.Second, isNotice("mark"))
		if after.Find(isNotice("c-1")) != nil || after.Find(isNotice("g-1")) != nil {
			t.Fatal("a joiner after Until was shown the expired or best-effort notice")
		}
		a.WaitFor("later notice", 10*time.Second, isNotice("mark"))
		if n := a.Count(isNotice("c-1")); n != 1 {
			t.Fatalf("republished notice shown %d times", n)
		}
		if other.Find(isNotice("c-1")) != nil || other.Find(isNotice("mark")) != nil {
			t.Fatal("another room was shown live1's notices")
		}
	})
}

// TestParseNotice refuses notices that do not match their subject or
// carry malformed ids, kinds or bodies.
func TestParseNotice(t *testing.T) {
	for _, tc := range []struct {
		name, subject, body string
		ok                  bool
	}{
		{"ok", "ns.room.r1.notice", `{"id":"n1","kind":"coupon.pushed","data":{"a":1}}`, true},
		{"room from subject", "ns.room.r1.notice", `{"id":"n1","room":"r1","kind":"k"}`, true},
		{"room mismatch", "ns.room.r1.notice", `{"id":"n1","room":"r2","kind":"k"}`, false},
		{"bad id", "ns.room.r1.notice", `{"id":"n 1","kind":"k"}`, false},
		{"no kind", "ns.room.r1.notice", `{"id":"n1"}`, false},
		{"not json", "ns.room.r1.notice", `{"id":`, false},
	} {
		if _, ok := parseNotice("ns", tc.subject, []byte(tc.body)); ok != tc.ok {
			t.Errorf("%s: ok = %v", tc.name, ok)
		}
	}
}

// FuzzParseNotice: any body is either refused or yields a notice whose
// frame is valid JSON.
func FuzzParseNotice(f *testing.F) {
	f.Add([]byte(`{"id":"n1","kind":"coupon.pushed","data":{"a":1},"reliable":true,"until":"2030-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, ok := parseNotice("ns", "ns.room.r1.notice", body)
		if !ok {
			return
		}
		if !json.Valid(noticeFrame(&n)) {
			t.Fatalf("frame of %q is not JSON", body)
		}
	})
}
