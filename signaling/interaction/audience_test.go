package interaction

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// audienceLog collects the audience events of every room of ns.
type audienceLog struct {
	mu  sync.Mutex
	evs []events.AudienceEvent
}

func listenAudience(t *testing.T, feed events.AudienceFeed) *audienceLog {
	t.Helper()
	l := &audienceLog{}
	cancel, err := feed.Subscribe("*", func(ev events.AudienceEvent) {
		l.mu.Lock()
		l.evs = append(l.evs, ev)
		l.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return l
}

func (l *audienceLog) of(kind string) []events.AudienceEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.AudienceEvent
	for _, ev := range l.evs {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (l *audienceLog) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			l.mu.Lock()
			t.Fatalf("timed out waiting for %s; events: %+v", what, l.evs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAudienceEvents: what viewers do over the WebSocket and WHEP presence
// is published on the audience subject — joins with their referrer,
// danmaku after moderation (a blocked one is not), likes summed per viewer,
// clicks and add-to-cart (want), leaves, and a moderator's deletion.
func TestAudienceEvents(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		for _, feed := range []struct {
			name string
			make func() events.AudienceFeed
		}{
			{"local", func() events.AudienceFeed { return events.NewLocalAudience() }},
			{"nats", func() events.AudienceFeed { return events.NewNATSAudience(b.NATS, ns, testenv.Logger(t)) }},
		} {
			t.Run(feed.name, func(t *testing.T) { testAudienceEvents(t, b, ns, feed.make()) })
		}
	})
}

func testAudienceEvents(t *testing.T, b *backend.Backends, ns string, feed events.AudienceFeed) {
	{
		log := listenAudience(t, feed)
		if _, ok := feed.(*events.NATSAudience); ok {
			if err := b.NATS.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		h := newHub(t, b, ns, newFakeRooms("shop1"), func(o *Options) { o.Audience = feed })
		base := serveHub(t, h)
		bob := wsClient(t, base, "/ws/rooms/shop1?ref=share-42", "bob", map[string]any{"type": "hello", "token": userToken(t, "bob")})
		bob.WaitFor("welcome", 10*time.Second, isType("welcome"))
		anon := wsClient(t, base, "/ws/rooms/shop1?ref="+"https://shop.example/page?utm=x", "anon", nil)
		anon.SendJSON(map[string]any{"type": "like", "count": 1})
		anon.WaitFor("welcome", 10*time.Second, isType("welcome"))
		anchor := wsClient(t, base, "/ws/rooms/shop1?count=false", "anchor", map[string]any{"type": "hello", "push_key": pushKey("shop1")})
		anchor.WaitFor("welcome", 10*time.Second, isType("welcome"))

		bob.SendJSON(map[string]any{"type": "danmaku", "text": "hello 你好", "ref": "d1"})
		ack := bob.WaitFor("ack", 10*time.Second, isType("ack"))
		bob.SendJSON(map[string]any{"type": "danmaku", "text": "a scam", "ref": "d2"})
		bob.WaitFor("blocked", 10*time.Second, isError("blocked_word"))
		for i := 0; i < 3; i++ {
			bob.SendJSON(map[string]any{"type": "like", "count": 2})
		}
		bob.SendJSON(map[string]any{"type": "click", "product_id": "p1"})
		bob.SendJSON(map[string]any{"type": "want", "product_id": "p1"})
		anchor.SendJSON(map[string]any{"type": "danmaku", "text": "from the anchor"})
		left := h.ViewerJoinedFrom("shop1", auth.Identity{UserID: "carol", Name: "Carol"}, "https://host.example/shop?item=1#x")

		bobID := pseudonym(h.opts.PseudonymKey, "shop1", "bob")
		log.wait(t, "bob's likes, click, cart and carol's join", func() bool {
			likes := 0
			for _, ev := range log.of(events.AudienceLike) {
				if ev.Viewer == bobID {
					likes += ev.Count
				}
			}
			return likes == 6 && len(log.of(events.AudienceClick)) == 1 && len(log.of(events.AudienceCart)) == 1 && len(log.of(events.AudienceJoined)) == 3
		})
		left()
		id := ack["id"].(string)
		if err := h.Moderator().DeleteDanmaku(context.Background(), "shop1", id); err != nil {
			t.Fatal(err)
		}
		log.wait(t, "carol's leave and the deletion", func() bool {
			return len(log.of(events.AudienceLeft)) == 1 && len(log.of(events.AudienceDanmakuDeleted)) == 1
		})

		joins := map[string]events.AudienceEvent{}
		for _, ev := range log.of(events.AudienceJoined) {
			joins[ev.Viewer] = ev
		}
		if j := joins[bobID]; j.UserID != "bob" || j.Referrer != "share-42" || j.Room != "shop1" || j.At.IsZero() {
			t.Errorf("bob's join = %+v", j)
		}
		carolID := pseudonym(h.opts.PseudonymKey, "shop1", "carol")
		if j := joins[carolID]; j.UserID != "carol" || j.Referrer != "https://host.example/shop" {
			t.Errorf("carol's join = %+v", j)
		}
		var anonJoin events.AudienceEvent
		for v, j := range joins {
			if v != bobID && v != carolID {
				anonJoin = j
			}
		}
		if anonJoin.UserID != "" || anonJoin.Referrer != "https://shop.example/page" || !strings.HasPrefix(anonJoin.Viewer, PseudonymPrefix) {
			t.Errorf("anonymous join = %+v", anonJoin)
		}
		dm := log.of(events.AudienceDanmaku)
		if len(dm) != 1 || dm[0].Text != "hello 你好" || dm[0].MessageID != id || dm[0].Viewer != bobID || dm[0].UserID != "bob" {
			t.Errorf("danmaku events = %+v (the blocked one and the anchor's are not the audience's)", dm)
		}
		if c := log.of(events.AudienceClick)[0]; c.ProductID != "p1" || c.Viewer != bobID {
			t.Errorf("click = %+v", c)
		}
		if c := log.of(events.AudienceCart)[0]; c.ProductID != "p1" || c.Viewer != bobID {
			t.Errorf("cart = %+v", c)
		}
		if l := log.of(events.AudienceLeft)[0]; l.Viewer != carolID {
			t.Errorf("leave = %+v", l)
		}
		if d := log.of(events.AudienceDanmakuDeleted)[0]; d.MessageID != id {
			t.Errorf("deletion = %+v", d)
		}
	}
}

// TestCleanReferrer keeps a referral id, strips a URL's query and
// fragment, control characters and invalid UTF-8, and bounds the length.
func TestCleanReferrer(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{" share-42 ", "share-42"},
		{"https://a.example/p?token=secret#f", "https://a.example/p"},
		{"抖音\x00分享\x1b", "抖音分享"},
		{"bad\xffutf8", "badutf8"},
		{strings.Repeat("界", 200), strings.Repeat("界", MaxReferrerBytes/3)},
	} {
		if got := CleanReferrer(c.in); got != c.want {
			t.Errorf("CleanReferrer(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzCleanReferrer: whatever a page reports, the kept referrer is valid
// UTF-8 without control characters and within bounds.
func FuzzCleanReferrer(f *testing.F) {
	for _, s := range []string{"share-1", "https://x.example/a?b#c", "\x00\xff", "界界"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanReferrer(s)
		if len(got) > MaxReferrerBytes || !utf8.ValidString(got) || strings.ContainsAny(got, "\x00\r\n\x7f") {
			t.Fatalf("CleanReferrer(%q) = %q", s, got)
		}
	})
}
