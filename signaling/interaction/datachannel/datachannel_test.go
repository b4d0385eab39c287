package datachannel

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction"
)

// TestDataChannelRoom drives a room over real Pion data channels: danmaku
// fan-out, blocked words, rate limits, mutes, login rules, product cards
// (live and in a late joiner's welcome), deletes and the purchase ticker.
func TestDataChannelRoom(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		const roomID = "r1"
		clk := &clock{}
		h, a := newHub(t, b, ns, clk, func(o *interaction.Options) { o.Chat.DanmakuPerSecond = 2 })
		anchor := dcClient(t, a, roomID, "anchor", auth.Anchor(roomID), true, false)
		alice := dcClient(t, a, roomID, "alice", auth.Identity{UserID: "alice", Name: "Alice"}, false, false)
		bob := dcClient(t, a, roomID, "bob", auth.Identity{UserID: "bob"}, false, true)
		anon := dcClient(t, a, roomID, "anon", auth.Anonymous(), false, false)

		// A danmaku reaches the other viewers and the anchor, and the
		// sender gets an ack with its id.
		alice.SendJSON(map[string]any{"type": "danmaku", "text": "  hello everyone  ", "ref": "a1"})
		ack := alice.WaitFor("ack", 10*time.Second, func(m map[string]any) bool { return m["type"] == "ack" && m["ref"] == "a1" })
		firstID, _ := ack["id"].(string)
		for _, c := range []*client{anchor, bob, anon, alice} {
			d := c.WaitDanmaku("hello everyone", 10*time.Second)
			// Viewers see a pseudonym; the anchor sees who to mute.
			if want := c == anchor; (d["user"] == "alice") != want {
				t.Fatalf("%s sees the danmaku from %v", c.Name, d["user"])
			}
		}

		// Blocked words, in full-width and mixed case, are refused with an error event.
		for i, s := range []string{"this is a ＳＣＡＭ", "sCaM", "什么垃 圾"} {
			ref := "blk" + string(rune('0'+i))
			alice.SendJSON(map[string]any{"type": "danmaku", "text": s, "ref": ref})
			alice.WaitFor("blocked_word for "+s, 10*time.Second, func(m map[string]any) bool {
				return m["type"] == "error" && m["code"] == "blocked_word" && m["ref"] == ref
			})
		}

		// Too long, and anonymous in a room without anonymous chat.
		long := make([]rune, 201)
		for i := range long {
			long[i] = '长'
		}
		alice.SendJSON(map[string]any{"type": "danmaku", "text": string(long), "ref": "long"})
		alice.WaitFor("too_long", 10*time.Second, isError("too_long"))
		anon.SendJSON(map[string]any{"type": "danmaku", "text": "hi from nobody"})
		anon.WaitFor("login_required", 10*time.Second, isError("login_required"))
		// ...but anonymous viewers may like.
		anon.SendJSON(map[string]any{"type": "like", "count": 7})
		bob.WaitFor("likes_total 7", 10*time.Second, func(m map[string]any) bool { return m["type"] == "batch" && m["likes_total"] == float64(7) })

		// A spammer is rate-limited (2/s, burst 6) with an error event.
		for i := 0; i < 8; i++ {
			bob.SendJSON(map[string]any{"type": "danmaku", "text": fmt.Sprintf("message %d", i)})
		}
		bob.WaitFor("rate_limited", 10*time.Second, isError("rate_limited"))

		// Non-anchors cannot moderate; the anchor mutes bob, who then cannot post.
		alice.SendJSON(map[string]any{"type": "mute", "user_id": "bob", "ref": "m0"})
		alice.WaitFor("forbidden", 10*time.Second, isError("forbidden"))
		anchor.SendJSON(map[string]any{"type": "mute", "user_id": "bob", "duration": 60, "ref": "m1"})
		anchor.WaitFor("mute ack", 10*time.Second, func(m map[string]any) bool { return m["type"] == "ack" && m["ref"] == "m1" })
		clk.Advance(time.Second) // bob's bucket refills
		bob.SendJSON(map[string]any{"type": "danmaku", "text": "can I talk?", "ref": "muted"})
		bob.WaitFor("muted", 10*time.Second, func(m map[string]any) bool {
			return m["type"] == "error" && m["code"] == "muted" && m["ref"] == "muted"
		})

		// A product card published on NATS reaches every viewer at once.
		card := events.ProductCard{Room: roomID, Shown: true, ProductID: "p1", Title: "Silk scarf", PriceMinor: 9900, LivePriceMinor: 6900, Currency: "CNY", StockLeft: 20, Version: 1, At: time.Now()}
		raw, _ := json.Marshal(card)
		jsPublish(t, b, events.CardSubject(ns, roomID), raw)
		isCard := func(m map[string]any) bool {
			c, _ := m["card"].(map[string]any)
			return m["type"] == "card" && c["product_id"] == "p1" && c["title"] == "Silk scarf"
		}
		for _, c := range []*client{anchor, alice, bob, anon} {
			c.WaitFor("card", 10*time.Second, isCard)
		}

		// A late joiner gets the current card and the recent danmaku in its welcome.
		late := dcClient(t, a, roomID, "late", auth.Identity{UserID: "carol"}, false, false)
		w := late.Find(isType("welcome"))
		wc, _ := w["card"].(map[string]any)
		if wc["product_id"] != "p1" || w["state"] != "live" {
			t.Fatalf("welcome card/state = %v / %v", w["card"], w["state"])
		}
		recent, _ := w["recent"].([]any)
		if len(recent) == 0 || recent[0].(map[string]any)["text"] != "hello everyone" {
			t.Fatalf("welcome recent = %v", recent)
		}
		you := w["you"].(map[string]any)
		if id, _ := you["user_id"].(string); !strings.HasPrefix(id, interaction.PseudonymPrefix) || you["can_chat"] != true {
			t.Fatalf("welcome you = %v", you)
		}

		// The anchor deletes a danmaku everywhere.
		anchor.SendJSON(map[string]any{"type": "delete", "message_id": firstID})
		for _, c := range []*client{alice, bob, late} {
			c.WaitFor("delete", 10*time.Second, func(m map[string]any) bool { return m["type"] == "delete" && m["message_id"] == firstID })
		}

		// A paid order shows in the ticker without personal data.
		ev := events.OrderEvent{ID: "ev1", Type: events.OrderPaid, OrderID: "o1", Room: roomID, ProductID: "p1", ProductTitle: "Silk scarf", UserID: "alice", Quantity: 2, City: "Hangzhou", At: time.Now()}
		raw, _ = json.Marshal(ev)
		jsPublish(t, b, events.OrderSubject(ns, events.OrderPaid), raw)
		tk := bob.WaitFor("ticker", 10*time.Second, isType("ticker"))
		if tk["product_title"] != "Silk scarf" || tk["city"] != "Hangzhou" || tk["quantity"] != float64(2) || tk["user_id"] != nil || tk["order_id"] != nil {
			t.Fatalf("ticker = %v", tk)
		}

		// Room state changes are broadcast.
		h.RoomLive(roomID, false)
		alice.WaitFor("state paused", 10*time.Second, func(m map[string]any) bool { return m["type"] == "state" && m["state"] == "paused" })

		// Bob's batches rode his lossy channel; nothing else did.
		lb, lo := bob.LossyCounts()
		if lb == 0 || lo != 0 {
			t.Fatalf("bob's lossy channel carried %d batches and %d other messages", lb, lo)
		}

		// Nothing refused was ever delivered.
		for _, c := range []*client{anchor, alice, bob, anon, late} {
			for _, s := range c.DanmakuTexts() {
				switch s {
				case "this is a ＳＣＡＭ", "sCaM", "什么垃 圾", "hi from nobody", "can I talk?":
					t.Fatalf("%s received refused danmaku %q", c.Name, s)
				}
			}
		}
	})
}

func jsPublish(t *testing.T, b *backend.Backends, subject string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := b.JetStream.Publish(ctx, subject, data); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}
