package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/internal/testnode"
	"github.com/livesell/livesell/sfu/synth"
)

type node struct {
	t    *testing.T
	base string
	srv  *server.Server
}

func startNode(t *testing.T) *node {
	t.Helper()
	cfg := testnode.Config(t)
	cfg.Chat.BatchInterval = 50 * time.Millisecond
	srv, base := testnode.Start(t, cfg, testenv.Logger(t))
	return &node{t: t, base: base, srv: srv}
}

func (n *node) do(method, path, body, token, ctype string) (*http.Response, string) {
	n.t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = n.base + path
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (n *node) adminJSON(method, path string, body, out any) {
	n.t.Helper()
	raw, _ := json.Marshal(body)
	resp, text := n.do(method, path, string(raw), n.srv.AdminToken(), "application/json")
	if resp.StatusCode >= 300 {
		n.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, text)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			n.t.Fatalf("%s %s: %s: %v", method, path, text, err)
		}
	}
}

// inbox records the protocol messages a peer receives.
type inbox struct {
	t    *testing.T
	name string
	mu   sync.Mutex
	msgs []map[string]any
}

func (b *inbox) add(data []byte) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		b.t.Errorf("%s: non-JSON %q", b.name, data)
		return
	}
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
}

func (b *inbox) wait(what string, pred func(map[string]any) bool) map[string]any {
	b.t.Helper()
	var found map[string]any
	testenv.Eventually(b.t, 15*time.Second, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, m := range b.msgs {
			if pred(m) {
				found = m
				return true
			}
		}
		return false
	}, "%s never received %s", b.name, what)
	return found
}

func hasDanmaku(text string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["type"] != "batch" {
			return false
		}
		for _, d := range m["danmaku"].([]any) {
			if d.(map[string]any)["text"] == text {
				return true
			}
		}
		return false
	}
}

func isType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

// openChannel creates the "livesell" channel on pc before its offer.
func openChannel(t *testing.T, pc *webrtc.PeerConnection, in *inbox) *webrtc.DataChannel {
	dc, err := pc.CreateDataChannel("livesell", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnMessage(func(m webrtc.DataChannelMessage) { in.add(m.Data) })
	return dc
}

func send(t *testing.T, dc *webrtc.DataChannel, v map[string]any) {
	t.Helper()
	v["v"] = 1
	b, _ := json.Marshal(v)
	if err := dc.Send(b); err != nil {
		t.Fatal(err)
	}
}

// TestChatOverWHIPAndWHEP: a node, an anchor on WHIP and viewers on WHEP
// chat over their sessions' data channels and a WebSocket; WHEP viewers
// count as online; a product card published on NATS reaches everyone.
func TestChatOverWHIPAndWHEP(t *testing.T) {
	n := startNode(t)
	api, err := synth.NewAPI(true) // ICE on loopback only
	if err != nil {
		t.Fatal(err)
	}

	var rm struct {
		ID, PushKey, WHIPURL, WHEPURL string
	}
	var raw map[string]any
	n.adminJSON("POST", "/api/rooms", map[string]any{"title": "Chat sale", "anonymous_chat": false}, &raw)
	rm.ID, _ = raw["id"].(string)
	rm.PushKey, _ = raw["push_key"].(string)
	rm.WHIPURL, _ = raw["whip_url"].(string)
	rm.WHEPURL, _ = raw["whep_url"].(string)
	if rm.ID == "" || rm.PushKey == "" {
		t.Fatalf("room = %v", raw)
	}

	// The anchor publishes with a data channel.
	anchorIn := &inbox{t: t, name: "anchor"}
	pub, err := synth.NewPublisher(api, synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Gen: 1, Bitrates: []int{60_000, 120_000, 240_000}, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	anchorDC := openChannel(t, pub.PeerConnection(), anchorIn)
	offer, err := pub.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, answer := n.do("POST", rm.WHIPURL, offer, rm.PushKey, "application/sdp")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP = %d %s", resp.StatusCode, answer)
	}
	if err := pub.Start(answer); err != nil {
		t.Fatal(err)
	}
	anchorIn.wait("welcome", func(m map[string]any) bool {
		you, _ := m["you"].(map[string]any)
		return m["type"] == "welcome" && you["anchor"] == true
	})

	// Two WHEP viewers: a logged-in user and an anonymous one.
	var tok struct{ Token string }
	n.adminJSON("POST", "/api/rooms/"+rm.ID+"/viewer-tokens", map[string]any{"user_id": "ann", "name": "Ann"}, &tok)
	play := func(name, token string) (*inbox, *webrtc.DataChannel) {
		in := &inbox{t: t, name: name}
		v, err := synth.NewViewer(api, synth.ViewerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		dc := openChannel(t, v.PeerConnection(), in)
		offer, err := v.Offer()
		if err != nil {
			t.Fatal(err)
		}
		var resp *http.Response
		var answer string
		testenv.Eventually(t, 10*time.Second, func() bool {
			resp, answer = n.do("POST", rm.WHEPURL, offer, token, "application/sdp")
			return resp.StatusCode == http.StatusCreated
		}, "WHEP never answered 201: %d %s", 0, "")
		if err := v.Start(answer); err != nil {
			t.Fatal(err)
		}
		in.wait("welcome", isType("welcome"))
		return in, dc
	}
	annIn, annDC := play("ann", tok.Token)
	anonIn, anonDC := play("anon", "")
	// Viewers are known to each other by a per-room pseudonym, never the shop's user id.
	if w := annIn.wait("welcome", isType("welcome")); w["state"] != "live" || !strings.HasPrefix(w["you"].(map[string]any)["user_id"].(string), "p-") {
		t.Fatalf("ann's welcome = %v", w)
	}

	// A WebSocket watcher in the same room.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.base, "http")+"/ws/rooms/"+rm.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	wsIn := &inbox{t: t, name: "ws"}
	go func() {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			wsIn.add(data)
		}
	}()
	ws.Write(ctx, websocket.MessageText, []byte(`{"v":1,"type":"hello"}`))
	wsIn.wait("welcome", isType("welcome"))

	// Danmaku over WHEP data channels reach everyone; anonymous is refused.
	send(t, annDC, map[string]any{"type": "danmaku", "text": "is the scarf silk?"})
	for _, in := range []*inbox{anchorIn, anonIn, wsIn, annIn} {
		in.wait("ann's danmaku", hasDanmaku("is the scarf silk?"))
	}
	send(t, anonDC, map[string]any{"type": "danmaku", "text": "me too"})
	anonIn.wait("login_required", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "login_required" })
	send(t, anchorDC, map[string]any{"type": "danmaku", "text": "100% mulberry silk"})
	annIn.wait("anchor's answer", hasDanmaku("100% mulberry silk"))
	send(t, anchorDC, map[string]any{"type": "pin", "text": "Scarf at 69 today"})
	wsIn.wait("pinned", func(m map[string]any) bool { return m["type"] == "pinned" && m["text"] == "Scarf at 69 today" })

	// Online: two WHEP viewers and the WebSocket watcher (not the anchor).
	testenv.Eventually(t, 10*time.Second, func() bool {
		resp, body := n.do("GET", "/api/rooms/"+rm.ID+"/online", "", "", "")
		var o struct{ Online, Peak int }
		json.Unmarshal([]byte(body), &o)
		return resp.StatusCode == 200 && o.Online == 3 && o.Peak == 3
	}, "online never reached 3")

	// A product card published on NATS reaches the data channels.
	card, _ := json.Marshal(events.ProductCard{Room: rm.ID, Shown: true, ProductID: "scarf", Title: "Silk scarf", Version: 1, At: time.Now()})
	if _, err := n.srv.Backends().JetStream.Publish(ctx, events.CardSubject(config.Default().Store.Namespace, rm.ID), card); err != nil {
		t.Fatal(err)
	}
	for _, in := range []*inbox{annIn, anonIn, anchorIn} {
		in.wait("card", func(m map[string]any) bool {
			c, _ := m["card"].(map[string]any)
			return m["type"] == "card" && c["product_id"] == "scarf"
		})
	}
}
