package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
	"github.com/livesell/livesell/signaling/claim"
)

// startClusterNode runs a node of a cluster: it listens first so that its
// LIVESELL_PUBLIC_URL is its own address, and shares the stores and secrets
// given in shared with the other nodes.
func startClusterNode(t *testing.T, shared map[string]string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{
		"LIVESELL_HTTP_ADDR":      ln.Addr().String(),
		"LIVESELL_PUBLIC_URL":     base,
		"LIVESELL_DATA_DIR":       t.TempDir(),
		"LIVESELL_ICE_INTERFACES": "lo",
		"LIVESELL_ICE_SERVERS":    "stun:127.0.0.1:3478",
	}
	for k, v := range shared {
		vars[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		ln.Close()
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, testenv.Logger(t))
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("server.New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-served:
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})
	return &node{t: t, base: base, admin: srv.AdminToken(), srv: srv}
}

// noFollow sends one request without following redirects.
func noFollow(t *testing.T, method, url, body string, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// metric returns the value of the sample line starting with name on n's
// /metrics ("" if absent).
func (n *node) metric(name string) string {
	n.t.Helper()
	_, text := n.request("GET", "/metrics", "", "Authorization", "Bearer "+n.admin)
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, name+" ") {
			return strings.TrimPrefix(line, name+" ")
		}
	}
	return ""
}

// TestWHEPFollowsThePublisherAcrossNodes runs two nodes sharing the real
// PostgreSQL, Redis and NATS: a WHEP viewer at the node without the
// publisher is redirected to the node with it and receives its media; the
// claim goes with the publisher; a crashed node's claim expires and lets
// another node take the room.
func TestWHEPFollowsThePublisherAcrossNodes(t *testing.T) {
	ns := testenv.Namespace(t)
	shared := testenv.ClusterEnv(t, "LIVESELL_NAMESPACE", ns)
	a := startClusterNode(t, shared)
	b := startClusterNode(t, shared)
	api := peerAPI(t)
	rdb := a.srv.Backends().Redis
	rctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var rm roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Cluster sale"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	key := claim.Key(ns, rm.ID)
	whepA, whepB := a.base+"/whep/"+rm.ID, b.base+"/whep/"+rm.ID

	// Nobody publishes: both nodes answer 409 not_live + Retry-After.
	for _, url := range []string{whepA, whepB} {
		resp := noFollow(t, "POST", url+"?layer=auto", viewerOffer(t), "Content-Type", "application/sdp")
		if resp.StatusCode != http.StatusConflict || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("WHEP %s before publish = %d (Retry-After %q)", url, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}

	// Publish on A: A claims the room in Redis.
	pub := a.publish(api, rm.WHIPURL, rm.PushKey, 1)
	if v, err := rdb.Get(rctx, key).Result(); err != nil || !strings.HasSuffix(v, " "+a.base) {
		t.Fatalf("claim after publishing on A = %q, %v", v, err)
	}
	if ttl, _ := rdb.PTTL(rctx, key).Result(); ttl <= 0 || ttl > claim.DefaultTTL {
		t.Fatalf("claim TTL = %v", ttl)
	}

	// A second publisher at B is refused: one publisher per room.
	second := publisherOffer(t)
	resp, body := b.request("POST", b.base+"/whip/"+rm.ID, second, "Content-Type", "application/sdp", "Authorization", "Bearer "+rm.PushKey)
	if resp.StatusCode != http.StatusConflict || apiCode(body) != "room_busy" {
		t.Fatalf("WHIP on B while A publishes = %d %s", resp.StatusCode, body)
	}

	// WHEP at B: 307 to A with the same query, CORS headers for a shop page
	// on another origin; HEAD likewise.
	resp = noFollow(t, "POST", whepB+"?layer=auto&x=1", viewerOffer(t), "Content-Type", "application/sdp", "Origin", "https://shop.example")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != whepA+"?layer=auto&x=1" {
		t.Fatalf("WHEP on B = %d, Location %q; want 307 to %s", resp.StatusCode, resp.Header.Get("Location"), whepA)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Fatalf("redirect without CORS headers: %v", resp.Header)
	}
	resp = noFollow(t, "HEAD", whepB, "")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != whepA {
		t.Fatalf("HEAD on B = %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A Pion viewer posting to B follows the 307 and plays from A.
	v := b.play(api, whepB)
	if !strings.HasPrefix(v.location, a.base+"/whep/"+rm.ID+"/") {
		t.Fatalf("viewer session Location = %q; want under node A", v.location)
	}
	select {
	case <-v.Keyframe():
	case <-time.After(20 * time.Second):
		t.Fatalf("redirected viewer got no keyframe (video %d)", v.VideoPackets())
	}
	flowing(t, v, 20, 10*time.Second, "redirected viewer")
	if got := b.metric(`livesell_signaling_redirects_total{resource="whep"}`); got != "3" {
		t.Fatalf("B's redirect count = %q; want 3", got)
	}

	// A signed-in viewer of a private room: a browser drops Authorization on
	// a redirect to another origin, so B's 307 carries a one-minute grant
	// for this room's WHEP (never the token itself), which A admits.
	if st := a.adminJSON("PATCH", "/api/rooms/"+rm.ID, map[string]any{"private": true}, nil); st != http.StatusOK {
		t.Fatalf("make the room private: %d", st)
	}
	var vt struct{ Token string }
	if st := a.adminJSON("POST", "/api/rooms/"+rm.ID+"/viewer-tokens", map[string]any{"user_id": "vip-1"}, &vt); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("viewer token: %d", st)
	}
	resp = noFollow(t, "POST", whepB+"?layer=h", viewerOffer(t), "Content-Type", "application/sdp", "Authorization", "Bearer "+vt.Token)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, whepA+"?") || !strings.Contains(loc, "grant=") || !strings.Contains(loc, "layer=h") || strings.Contains(loc, vt.Token) {
		t.Fatalf("signed-in WHEP on B = %d, Location %q; want 307 to A with a grant and the query, without the token", resp.StatusCode, loc)
	}
	if resp := noFollow(t, "POST", whepA, viewerOffer(t), "Content-Type", "application/sdp"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous WHEP on the private room at A = %d, want 401", resp.StatusCode)
	}
	if resp := noFollow(t, "POST", loc, viewerOffer(t), "Content-Type", "application/sdp"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHEP at A with B's grant = %d, want 201", resp.StatusCode)
	}
	var other roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Another sale", "private": true}, &other); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	stolen := strings.Replace(loc, "/whep/"+rm.ID, "/whep/"+other.ID, 1)
	if resp := noFollow(t, "POST", stolen, viewerOffer(t), "Content-Type", "application/sdp"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the grant on another room = %d, want 401", resp.StatusCode)
	}
	if st := a.adminJSON("PATCH", "/api/rooms/"+rm.ID, map[string]any{"private": false}, nil); st != http.StatusOK {
		t.Fatalf("make the room public again: %d", st)
	}

	// The claim stays while A publishes, past several TTLs of refreshes...
	time.Sleep(claim.DefaultTTL + 2*time.Second)
	if v, _ := rdb.Get(rctx, key).Result(); !strings.HasSuffix(v, " "+a.base) {
		t.Fatalf("claim after a TTL of live = %q", v)
	}
	// ...and goes when the publisher leaves: B then answers 409 again.
	if resp, body := a.request("DELETE", pub.location, "", "Authorization", "Bearer "+pub.key); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE publisher: %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return rdb.Exists(rctx, key).Val() == 0 }, "A's claim outlived its publisher")
	resp = noFollow(t, "POST", whepB, viewerOffer(t), "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("WHEP on B after the publisher left = %d", resp.StatusCode)
	}

	// A node that stopped refreshing its claim but still answers (cut off
	// from Redis, or wedged) may be alive: its claim still routes viewers
	// and refuses publishers, until it expires; then B takes over. (One
	// whose port refuses connections is taken over at once:
	// cmd/livesell's TestOriginCrashAcrossProcesses.)
	wedged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer wedged.Close()
	crashed := claim.Owner{NodeID: "crashed", URL: wedged.URL}
	if err := rdb.Set(rctx, key, crashed.String(), 1500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	resp = noFollow(t, "POST", whepB, viewerOffer(t), "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != crashed.URL+"/whep/"+rm.ID {
		t.Fatalf("WHEP while the crashed claim lives = %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = b.request("POST", b.base+"/whip/"+rm.ID, publisherOffer(t), "Content-Type", "application/sdp", "Authorization", "Bearer "+rm.PushKey)
	if resp.StatusCode != http.StatusConflict || apiCode(body) != "room_busy" {
		t.Fatalf("WHIP on B while the crashed claim lives = %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return rdb.Exists(rctx, key).Val() == 0 }, "the crashed node's claim did not expire")
	b.publish(api, b.base+"/whip/"+rm.ID, rm.PushKey, 2)
	if v, _ := rdb.Get(rctx, key).Result(); !strings.HasSuffix(v, " "+b.base) {
		t.Fatalf("claim after B took over = %q", v)
	}
	// Now A redirects to B, and a viewer at A plays B's publish.
	v2 := a.play(api, whepA)
	if !strings.HasPrefix(v2.location, b.base+"/whep/") {
		t.Fatalf("viewer at A after takeover: Location %q", v2.location)
	}
	testenv.Eventually(t, 20*time.Second, func() bool { return v2.lastGen.Load() == 2 }, "viewer at A does not see B's publisher")

	// The operator ends the live through A: B's publisher and viewer end
	// too, and B's claim goes with them.
	if st := a.adminJSON("POST", "/api/rooms/"+rm.ID+"/end", nil, nil); st != http.StatusOK {
		t.Fatalf("end room on A: %d", st)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return rdb.Exists(rctx, key).Val() == 0 }, "B's claim outlived the ended live")
	testenv.Eventually(t, 10*time.Second, func() bool {
		st := v2.PeerConnection().ConnectionState()
		return st == webrtc.PeerConnectionStateDisconnected || st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed
	}, "B's viewer still connected after the live ended through A")
	if resp := noFollow(t, "POST", whepA, viewerOffer(t), "Content-Type", "application/sdp"); resp.StatusCode != http.StatusConflict {
		t.Fatalf("WHEP on A after the end = %d", resp.StatusCode)
	}
}

// viewerOffer is a fresh viewer offer (its peer is closed with the test).
func viewerOffer(t *testing.T) string {
	t.Helper()
	sv, err := synth.NewViewer(peerAPI(t), synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sv.Close() })
	offer, err := sv.Offer()
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

// publisherOffer is a publisher's offer that is never answered.
func publisherOffer(t *testing.T) string {
	t.Helper()
	p, err := synth.NewPublisher(peerAPI(t), synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Gen: 9, Bitrates: []int{60_000, 120_000, 240_000}, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	return offer
}

// apiCode is the code of an error body in the one JSON shape.
func apiCode(body string) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil {
		return ""
	}
	return e.Error.Code
}
