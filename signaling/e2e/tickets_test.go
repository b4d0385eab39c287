package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
)

// TestTicketAdmission is #14's "only ticket holders get in", on the
// embedded defaults (one node) and on real PostgreSQL, Redis and NATS (two
// nodes sharing them): a ticketed show's WHEP and room channel refuse a
// viewer without a ticket (403 ticket_required; an error event of that
// code on the WebSocket), let in a viewer who bought one (paid in the
// sandbox through the ordinary order payment), and a refund through the
// payment refund path ends the holder's video and room channels — on
// the node that holds the video and on the other one — within 5 s; the
// refunded viewer is then refused too.
func TestTicketAdmission(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		n := startNode(t, "LIVESELL_PAYMENT_SANDBOX", "on")
		admissionScenario(t, n, n)
	})
	t.Run("real", func(t *testing.T) {
		shared := testenv.ClusterEnv(t, "LIVESELL_PAYMENT_SANDBOX", "on")
		a := startClusterNode(t, shared)
		b := startClusterNode(t, shared)
		admissionScenario(t, a, b)
	})
}

// admissionScenario runs the show on a (publisher, the video's node) and
// sells, refunds and chats through b.
func admissionScenario(t *testing.T, a, b *node) {
	api := peerAPI(t)
	var rm roomInfo
	starts := time.Now().Add(2 * time.Hour).UTC()
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Launch show", "starts_at": starts.Format(time.RFC3339)}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	offer := map[string]any{
		"title": "Launch show", "starts_at": starts.Format(time.RFC3339), "currency": "cny",
		"tiers": []map[string]any{{"name": "standard", "quantity": 10, "mode": "tiered", "steps": []map[string]any{{"quantity": -1, "price_minor": 4900}}, "comment": true}},
	}
	if st := b.adminJSON("PUT", "/api/rooms/"+rm.ID+"/presale", offer, nil); st != http.StatusOK {
		t.Fatalf("PUT presale: %d", st)
	}
	a.publish(api, rm.WHIPURL, rm.PushKey, 1)

	fan := mint(t, a, "fan")
	stranger := mint(t, a, "stranger")

	// Without a ticket: 403 on WHEP (on both nodes), refused on the channel.
	for _, n := range []*node{a, b} {
		if code, status := whepStatus(t, n.base+"/whep/"+rm.ID, stranger); status != http.StatusForbidden || code != "ticket_required" {
			t.Fatalf("WHEP without a ticket on %s = %d %q, want 403 ticket_required", n.base, status, code)
		}
		if code, status := whepStatus(t, n.base+"/whep/"+rm.ID, ""); status != http.StatusForbidden || code != "ticket_required" {
			t.Fatalf("anonymous WHEP on %s = %d %q, want 403 ticket_required", n.base, status, code)
		}
	}
	if ws := dialRoom(t, b, rm.ID, stranger); !ws.waitError("ticket_required", 10*time.Second) || ws.welcomed() {
		t.Fatalf("the room channel let a viewer without a ticket in: %v", ws.all())
	}

	// Buy and pay in the sandbox (the ordinary order payment path).
	ticketID := buyTicket(t, b, rm.ID, fan, "standard")

	v := playAs(t, a, api, rm.WHEPURL, fan)
	flowing(t, v, 20, 15*time.Second, "the ticket holder's video")
	wsA := dialRoom(t, a, rm.ID, fan)
	wsB := dialRoom(t, b, rm.ID, fan)
	for _, ws := range []*roomWS{wsA, wsB} {
		if !ws.waitType("welcome", 10*time.Second) {
			t.Fatalf("the ticket holder was not welcomed: %v", ws.all())
		}
	}

	// Refund through node b: every node ends the holder's sessions.
	refundedAt := time.Now()
	if st := b.adminJSON("POST", "/api/presale/tickets/"+ticketID+"/refund", map[string]any{"reason": "changed_mind"}, nil); st != http.StatusOK {
		t.Fatalf("refund: %d", st)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		s := v.PeerConnection().ConnectionState()
		return s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateDisconnected
	}, "the refunded viewer's video still plays %s after the refund (%s)", time.Since(refundedAt), v.PeerConnection().ConnectionState())
	videoGone := time.Since(refundedAt)
	for _, ws := range []*roomWS{wsA, wsB} {
		if !ws.waitError("ticket_required", 5*time.Second-time.Since(refundedAt)) {
			t.Fatalf("a room channel of the refunded viewer stayed open %s after the refund: %v", time.Since(refundedAt), ws.all())
		}
	}
	t.Logf("after the refund: video ended in %s, both room channels in %s", videoGone.Round(time.Millisecond), time.Since(refundedAt).Round(time.Millisecond))
	if code, status := whepStatus(t, b.base+"/whep/"+rm.ID, fan); status != http.StatusForbidden || code != "ticket_required" {
		t.Fatalf("WHEP after the refund = %d %q, want 403 ticket_required", status, code)
	}
}

func mint(t *testing.T, n *node, user string) string {
	t.Helper()
	tok, _, err := n.srv.Users().Mint(user, user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// whepStatus posts a viewer offer (the token in the header; a redirect to
// the publisher's node carries a grant of its own) and returns the error
// code and status.
func whepStatus(t *testing.T, whep, token string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest("POST", whep+"?layer=auto", strings.NewReader(viewerOffer(t)))
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	buf := make([]byte, 4096)
	for {
		k, err := resp.Body.Read(buf)
		body.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return apiCode(body.String()), resp.StatusCode
}

// playAs is node.play with a viewer token.
func playAs(t *testing.T, n *node, api *webrtc.API, whep, token string) *viewer {
	t.Helper()
	v := &viewer{}
	sv, err := synth.NewViewer(api, synth.ViewerOptions{OnVideo: func(p synth.Packet) {
		if p.TailOK {
			v.lastGen.Store(int32(p.Tail.Gen))
			v.frames.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	v.Viewer = sv
	t.Cleanup(func() { sv.Close() })
	offer, err := sv.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, answer := n.request("POST", whep+"?layer=auto", offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+token)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHEP with a ticket: %d %s", resp.StatusCode, answer)
	}
	if err := sv.Start(answer); err != nil {
		t.Fatal(err)
	}
	return v
}

// buyTicket buys a ticket of tier as the token's user and pays it in the
// sandbox; it returns the ticket id once the ticket is paid.
func buyTicket(t *testing.T, n *node, room, token, tier string) string {
	t.Helper()
	resp, body := n.request("POST", "/api/rooms/"+room+"/presale/tickets", `{"tier":"`+tier+`"}`,
		"Authorization", "Bearer "+token, "Content-Type", "application/json", "Idempotency-Key", "buy-"+tier+"-"+room)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("buy: %d %s", resp.StatusCode, body)
	}
	var p struct {
		Ticket struct{ ID string } `json:"ticket"`
		Order  struct{ ID string } `json:"order"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Ticket.ID == "" || p.Order.ID == "" {
		t.Fatalf("buy answered %s", body)
	}
	resp, body = n.request("POST", "/api/orders/"+p.Order.ID+"/pay", `{"provider":"sandbox"}`, "Authorization", "Bearer "+token, "Content-Type", "application/json")
	if resp.StatusCode >= 300 {
		t.Fatalf("pay: %d %s", resp.StatusCode, body)
	}
	var pay struct {
		PaymentID string `json:"payment_id"`
	}
	if err := json.Unmarshal([]byte(body), &pay); err != nil || pay.PaymentID == "" {
		t.Fatalf("pay answered %s", body)
	}
	if resp, body = n.request("POST", "/pay/sandbox/"+pay.PaymentID+"/pay", "", "Authorization", "Bearer "+token); resp.StatusCode >= 300 {
		t.Fatalf("sandbox pay: %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		resp, body := n.request("GET", "/api/me/presale/tickets", "", "Authorization", "Bearer "+token)
		return resp.StatusCode == http.StatusOK && strings.Contains(body, `"id":"`+p.Ticket.ID+`"`) && strings.Contains(body, `"status":"paid"`)
	}, "the ticket is not paid")
	return p.Ticket.ID
}

// roomWS is a room WebSocket client that records what it receives.
type roomWS struct {
	mu     sync.Mutex
	msgs   []map[string]any
	closed chan struct{}
}

func dialRoom(t *testing.T, n *node, room, token string) *roomWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.base, "http")+"/ws/rooms/"+room+"?count=false", nil)
	if err != nil {
		t.Fatalf("dial the room channel: %v", err)
	}
	ws := &roomWS{closed: make(chan struct{})}
	go func() {
		defer close(ws.closed)
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) == nil {
				ws.mu.Lock()
				ws.msgs = append(ws.msgs, m)
				ws.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { c.Close(websocket.StatusNormalClosure, ""); <-ws.closed })
	hello, _ := json.Marshal(map[string]any{"v": 1, "type": "hello", "token": token})
	if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
		t.Fatal(err)
	}
	return ws
}

func (ws *roomWS) all() []map[string]any {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]map[string]any(nil), ws.msgs...)
}

func (ws *roomWS) has(pred func(map[string]any) bool) bool {
	for _, m := range ws.all() {
		if pred(m) {
			return true
		}
	}
	return false
}

func (ws *roomWS) wait(d time.Duration, pred func(map[string]any) bool) bool {
	deadline := time.Now().Add(d)
	for {
		if ws.has(pred) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (ws *roomWS) waitType(typ string, d time.Duration) bool {
	return ws.wait(d, func(m map[string]any) bool { return m["type"] == typ })
}

// waitError waits for an error event of code and the channel's close.
func (ws *roomWS) waitError(code string, d time.Duration) bool {
	if !ws.wait(d, func(m map[string]any) bool { return m["type"] == "error" && m["code"] == code }) {
		return false
	}
	select {
	case <-ws.closed:
		return true
	case <-time.After(max(d, time.Second)):
		return false
	}
}

func (ws *roomWS) welcomed() bool {
	return ws.has(func(m map[string]any) bool { return m["type"] == "welcome" })
}

// TestVIPSourceOnANode: on a whole node (embedded defaults) with presale's
// real entitlements, the anchor publishes the backstage camera beside the
// main one on the room's push key; a standard ticket holder is refused it
// (403 source_not_in_pass) and a VIP guest receives its frames, and only
// its own (real Pion peers on loopback).
func TestVIPSourceOnANode(t *testing.T) {
	n := startNode(t, "LIVESELL_PAYMENT_SANDBOX", "on")
	api := peerAPI(t)
	var rm roomInfo
	starts := time.Now().Add(time.Hour).UTC()
	if st := n.adminJSON("POST", "/api/rooms", map[string]any{"title": "VIP show", "starts_at": starts.Format(time.RFC3339)}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	step := []map[string]any{{"quantity": -1, "price_minor": 4900}}
	offer := map[string]any{
		"title": "VIP show", "starts_at": starts.Format(time.RFC3339), "currency": "CNY",
		"tiers": []map[string]any{
			{"name": "standard", "quantity": -1, "mode": "tiered", "steps": step, "comment": true},
			{"name": "vip", "quantity": 10, "mode": "tiered", "steps": step, "comment": true, "highlight": true, "sources": []string{"backstage"}},
		},
	}
	if st := n.adminJSON("PUT", "/api/rooms/"+rm.ID+"/presale", offer, nil); st != http.StatusOK {
		t.Fatalf("PUT presale: %d", st)
	}
	for user, tier := range map[string]string{"std": "standard", "vip": "vip"} {
		if st := n.adminJSON("POST", "/api/rooms/"+rm.ID+"/presale/entitlements", map[string]any{"user_id": user, "tier": tier}, nil); st != http.StatusCreated {
			t.Fatalf("grant %s: %d", tier, st)
		}
	}
	n.publish(api, rm.WHIPURL, rm.PushKey, 1)
	n.publish(api, rm.WHIPURL+"/sources/backstage", rm.PushKey, 2)
	std, vip := mint(t, n, "std"), mint(t, n, "vip")

	if code, status := whepStatus(t, rm.WHEPURL+"/sources/backstage", std); status != http.StatusForbidden || code != "source_not_in_pass" {
		t.Fatalf("standard ticket on backstage = %d %q, want 403 source_not_in_pass", status, code)
	}
	back := playAs(t, n, api, rm.WHEPURL+"/sources/backstage", vip)
	main := playAs(t, n, api, rm.WHEPURL, std)
	testenv.Eventually(t, 20*time.Second, func() bool { return back.frames.Load() >= 30 && main.frames.Load() >= 30 },
		"frames: VIP backstage %d, standard main %d", back.frames.Load(), main.frames.Load())
	if g := back.lastGen.Load(); g != 2 {
		t.Fatalf("the VIP's backstage viewer shows generation %d, want the backstage camera (2)", g)
	}
	if g := main.lastGen.Load(); g != 1 {
		t.Fatalf("the main viewer shows generation %d, want the main camera (1)", g)
	}
	if got := n.room(rm.ID); got.State != "live" {
		t.Fatalf("room state %s, want live", got.State)
	}
}
