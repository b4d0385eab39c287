package interaction

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// serveHub serves h's routes on a loopback listener and returns the base URL.
func serveHub(t testing.TB, h *Hub) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: apierr.FiberHandler(testenv.Logger(t))})
	h.Mount(app, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// wsClient dials the room WebSocket at path (with query) and reads into a client.
func wsClient(t testing.TB, base, path, name string, hello map[string]any) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, nil)
	if err != nil {
		t.Fatalf("%s dial %s: %v", name, path, err)
	}
	conn.SetReadLimit(1 << 20)
	c := newClient(t, name)
	c.Send = func(b []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return conn.Write(ctx, websocket.MessageText, b)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			c.Add(data)
		}
	}()
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, ""); <-done })
	if hello != nil {
		c.SendJSON(hello)
	}
	return c
}

func httpDo(t testing.TB, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestWebSocket(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		rooms := newFakeRooms("shop1")
		h := newHub(t, b, ns, rooms, nil)
		base := serveHub(t, h)

		// Refusals before the upgrade use the one JSON error shape.
		for _, tt := range []struct {
			path   string
			status int
			code   string
		}{
			// Credentials never go in the URL (proxy logs): refused before
			// any check, valid or not.
			{"/ws/rooms/shop1?token=garbage", 400, "credential_in_query"},
			{"/ws/rooms/shop1?token=" + userToken(t, "alice"), 400, "credential_in_query"},
			{"/ws/rooms/shop1?token=" + testAdminToken, 400, "credential_in_query"},
			{"/ws/rooms/shop1?key=" + pushKey("shop1"), 400, "credential_in_query"},
			{"/ws/rooms/shop1?push_key=" + pushKey("shop1"), 400, "credential_in_query"},
			{"/ws/rooms/nope", 404, "room_not_found"},
			{"/ws/rooms/bad%20room", 400, "invalid_room_id"},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+tt.path, nil)
			cancel()
			if err == nil || resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("%s: dial err %v, resp %v; want %d", tt.path, err, resp, tt.status)
			}
			var doc struct{ Error struct{ Code string } }
			json.NewDecoder(resp.Body).Decode(&doc)
			if doc.Error.Code != tt.code {
				t.Fatalf("%s: code %q, want %q", tt.path, doc.Error.Code, tt.code)
			}
		}
		if st, _ := httpDo(t, "GET", base+"/ws/rooms/shop1", "", nil); st != 400 {
			t.Fatalf("plain GET of the WebSocket = %d, want 400", st)
		}

		// Viewer activity for commerce's user tags.
		var actMu sync.Mutex
		var acts []events.Activity
		sub, err := b.NATS.Subscribe(events.ActivitySubject(ns), func(m *nats.Msg) {
			var a events.Activity
			if json.Unmarshal(m.Data, &a) == nil {
				actMu.Lock()
				acts = append(acts, a)
				actMu.Unlock()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		hasActivity := func(user, kind, product string) bool {
			actMu.Lock()
			defer actMu.Unlock()
			for _, a := range acts {
				if a.UserID == user && a.Kind == kind && a.ProductID == product && a.Room == "shop1" {
					return true
				}
			}
			return false
		}

		// Credentials in the first hello: user tokens, anonymous, the anchor's push key.
		alice := wsClient(t, base, "/ws/rooms/shop1", "alice", map[string]any{"type": "hello", "token": userToken(t, "alice")})
		bob := wsClient(t, base, "/ws/rooms/shop1", "bob", map[string]any{"type": "hello", "token": userToken(t, "bob")})
		anon := wsClient(t, base, "/ws/rooms/shop1", "anon", map[string]any{"type": "hello"})
		anchor := wsClient(t, base, "/ws/rooms/shop1", "anchor", map[string]any{"type": "hello", "push_key": pushKey("shop1")})
		for _, c := range []*client{alice, bob, anon, anchor} {
			c.WaitFor("welcome", 10*time.Second, isType("welcome"))
		}
		// A viewer is told its pseudonymous id (the one other viewers see).
		if you := bob.Find(isType("welcome"))["you"].(map[string]any); you["user_id"] != pseudonym(h.opts.PseudonymKey, "shop1", "bob") || you["name"] != "name-bob" {
			t.Fatalf("bob's welcome you = %v", you)
		}
		if you := anchor.Find(isType("welcome"))["you"].(map[string]any); you["anchor"] != true || you["user_id"] != auth.Anchor("shop1").UserID {
			t.Fatalf("anchor's welcome you = %v", you)
		}
		bad := wsClient(t, base, "/ws/rooms/shop1", "bad", map[string]any{"type": "hello", "token": "forged"})
		bad.WaitFor("invalid_token", 10*time.Second, isError("invalid_token"))
		badKey := wsClient(t, base, "/ws/rooms/shop1", "bad key", map[string]any{"type": "hello", "push_key": pushKey("elsewhere")})
		badKey.WaitFor("invalid_push_key", 10*time.Second, isError("invalid_push_key"))

		// The same protocol: danmaku, errors, likes.
		alice.SendJSON(map[string]any{"type": "danmaku", "text": "<b>hi</b> from ws"})
		for _, c := range []*client{bob, anon, anchor} {
			c.WaitDanmaku("<b>hi</b> from ws", 10*time.Second)
		}
		// Plain text travels escaped: no raw HTML on the wire.
		for _, r := range bob.Raw() {
			if bytes.Contains(r, []byte("<b>")) {
				t.Errorf("raw frame carries unescaped HTML: %s", r)
			}
		}
		alice.SendJSON(map[string]any{"type": "nonsense"})
		alice.WaitFor("invalid_message", 10*time.Second, isError("invalid_message"))
		alice.Send([]byte("not json"))
		anon.SendJSON(map[string]any{"type": "danmaku", "text": "anon talk"})
		anon.WaitFor("login_required", 10*time.Second, isError("login_required"))
		bob.SendJSON(map[string]any{"type": "like", "count": 3})
		anchor.WaitFor("likes", 10*time.Second, func(m map[string]any) bool { return m["type"] == "batch" && m["likes_total"] == float64(3) })
		bob.SendJSON(map[string]any{"type": "click", "product_id": "p1"})
		bob.SendJSON(map[string]any{"type": "want", "product_id": "p2"})
		anon.SendJSON(map[string]any{"type": "click", "product_id": "p1"})
		testenv.Eventually(t, 10*time.Second, func() bool {
			return hasActivity("alice", events.ActivityWatched, "") && hasActivity("bob", events.ActivityClicked, "p1") && hasActivity("bob", events.ActivityWant, "p2")
		}, "activity events missing")
		actMu.Lock()
		for _, a := range acts {
			if strings.HasPrefix(a.UserID, "anon-") {
				t.Errorf("activity published for an anonymous viewer: %+v", a)
			}
		}
		actMu.Unlock()
		bob.SendJSON(map[string]any{"type": "ping", "ref": "p"})
		bob.WaitFor("pong", 10*time.Second, isType("pong"))

		// Blocked words reload at runtime through the admin API.
		if st, _ := httpDo(t, "PUT", base+"/api/moderation/words", "", map[string]any{"words": []string{"x"}}); st != 401 {
			t.Fatalf("PUT words without token = %d", st)
		}
		if st, _ := httpDo(t, "PUT", base+"/api/moderation/words", pushKey("shop1"), map[string]any{"words": []string{"x"}}); st != 403 {
			t.Fatalf("PUT words with a push key = %d", st)
		}
		if st, body := httpDo(t, "PUT", base+"/api/moderation/words", testAdminToken, map[string]any{"words": []string{"!!!"}}); st != 400 || body["error"].(map[string]any)["code"] != "invalid_request" {
			t.Fatalf("PUT bad words = %d %v", st, body)
		}
		if st, body := httpDo(t, "PUT", base+"/api/moderation/words", testAdminToken, map[string]any{"words": []string{"knockoff", "Fake"}}); st != 200 || body["count"] != float64(2) {
			t.Fatalf("PUT words = %d %v", st, body)
		}
		if st, body := httpDo(t, "GET", base+"/api/moderation/words", testAdminToken, nil); st != 200 || len(body["words"].([]any)) != 2 {
			t.Fatalf("GET words = %d %v", st, body)
		}
		bob.SendJSON(map[string]any{"type": "danmaku", "text": "is this ＦＡＫＥ?"})
		bob.WaitFor("blocked_word", 10*time.Second, isError("blocked_word"))

		// Moderation over HTTP: ban kicks the user out and keeps them out.
		if st, _ := httpDo(t, "POST", base+"/api/rooms/shop1/bans", "wrong", map[string]any{"user_id": "alice"}); st != 401 {
			t.Fatalf("ban with a wrong key = %d", st)
		}
		if st, body := httpDo(t, "POST", base+"/api/rooms/shop1/bans", pushKey("shop1"), map[string]any{"user_id": "alice", "seconds": 60}); st != 201 {
			t.Fatalf("ban = %d %v", st, body)
		}
		alice.WaitFor("banned", 10*time.Second, isError("banned"))
		again := wsClient(t, base, "/ws/rooms/shop1", "alice2", map[string]any{"type": "hello", "token": userToken(t, "alice")})
		again.WaitFor("banned on join", 10*time.Second, isError("banned"))
		if st, _ := httpDo(t, "DELETE", base+"/api/rooms/shop1/bans/alice", testAdminToken, nil); st != 204 {
			t.Fatalf("unban = %d", st)
		}
		if st, _ := httpDo(t, "POST", base+"/api/rooms/shop1/mutes", testAdminToken, map[string]any{"user_id": "bob", "seconds": -1}); st != 400 {
			t.Fatalf("mute with negative seconds = %d", st)
		}
		if st, _ := httpDo(t, "POST", base+"/api/rooms/shop1/mutes", testAdminToken, map[string]any{"user_id": "bob", "seconds": 30}); st != 201 {
			t.Fatalf("mute = %d", st)
		}
		bob.SendJSON(map[string]any{"type": "danmaku", "text": "still here", "ref": "m"})
		bob.WaitFor("muted", 10*time.Second, isError("muted"))
		if st, _ := httpDo(t, "DELETE", base+"/api/rooms/shop1/mutes/bob", testAdminToken, nil); st != 204 {
			t.Fatalf("unmute = %d", st)
		}
		advance(h, 2*time.Second) // bob's danmaku bucket refills
		bob.SendJSON(map[string]any{"type": "danmaku", "text": "back again", "ref": "b"})
		anchor.WaitDanmaku("back again", 10*time.Second)

		// Pinned announcement over HTTP.
		if st, _ := httpDo(t, "PUT", base+"/api/rooms/shop1/pinned", pushKey("shop1"), map[string]any{"text": "Free shipping today"}); st != 200 {
			t.Fatalf("pin = %d", st)
		}
		anon.WaitFor("pinned", 10*time.Second, func(m map[string]any) bool { return m["type"] == "pinned" && m["text"] == "Free shipping today" })

		// Online count (bob, anon, alice2 gone... the anchor does not count) and the dashboard.
		testenv.Eventually(t, 10*time.Second, func() bool {
			st, body := httpDo(t, "GET", base+"/api/rooms/shop1/online", "", nil)
			return st == 200 && body["online"] == float64(2) && body["peak"].(float64) >= 2
		}, "online count never settled at 2")
		testenv.Eventually(t, 10*time.Second, func() bool {
			st, body := httpDo(t, "GET", base+"/api/rooms/shop1/timeline", pushKey("shop1"), nil)
			tl, _ := body["timeline"].([]any)
			return st == 200 && body["likes"] == float64(3) && body["danmaku"].(float64) >= 2 && body["clicks"] == float64(3) && len(tl) > 0
		}, "dashboard counters and timeline never appeared")
		if st, _ := httpDo(t, "GET", base+"/api/rooms/shop1/timeline", "", nil); st != 401 {
			t.Fatalf("timeline without token = %d", st)
		}
	})
}
