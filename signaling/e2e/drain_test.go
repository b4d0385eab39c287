package e2e_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/testenv"
)

// drainShared are the stores and secrets the nodes of a drain test share.
func drainShared(t *testing.T) map[string]string {
	return testenv.ClusterEnv(t, "LIVESELL_NODE_SECRET", testenv.NodeSecret, "LIVESELL_DRAIN_TIMEOUT", "0s")
}

// with is shared plus the name, value pairs given.
func with(shared map[string]string, kv ...string) map[string]string {
	m := maps.Clone(shared)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// nodeRecord is a node's load record in Redis, as the other nodes read it.
type nodeRecord struct {
	URL      string `json:"url"`
	Viewers  int    `json:"viewers"`
	Draining bool   `json:"draining"`
}

// nodeRecords returns the load records under ns by node URL.
func nodeRecords(t *testing.T, rdb redis.UniversalClient, ns string) map[string]nodeRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := rdb.Keys(ctx, ns+":media:node:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]nodeRecord{}
	for _, k := range keys {
		v, err := rdb.Get(ctx, k).Result()
		if err != nil {
			continue
		}
		var r nodeRecord
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			t.Fatalf("record %s = %q: %v", k, v, err)
		}
		out[r.URL] = r
	}
	return out
}

// peerGone reports whether a viewer's PeerConnection left "connected".
func peerGone(pc *webrtc.PeerConnection) bool {
	st := pc.ConnectionState()
	return st == webrtc.PeerConnectionStateDisconnected || st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed
}

// TestDrainMovesViewers is issue 17's drain: one room published on A with
// the cascade on, viewers on A, edges B and C and a node D without the
// cascade. D's 307 goes to the least-loaded node serving the room. B
// drains (POST /api/admin/drain): its /readyz answers 503 draining, its
// record says so, a new WHEP POST to B is sent (307) to the least-loaded
// node that does not drain, a publisher is refused 503 draining with
// Retry-After, and so is a viewer of a room only B serves; B's viewers'
// sessions end within its window and a viewer re-POSTing B's URL plays
// from another node. Stopping B after the drain is quick.
func TestDrainMovesViewers(t *testing.T) {
	shared := drainShared(t)
	ns := shared["LIVESELL_NAMESPACE"]
	a, _ := startCascadeNode(t, shared)
	b, stopB := startCascadeNode(t, with(shared, "LIVESELL_DRAIN_TIMEOUT", "3s"))
	c, _ := startCascadeNode(t, shared)
	d, _ := startCascadeNode(t, with(shared, "LIVESELL_CASCADE", "false"))
	api := peerAPI(t)
	rdb := a.srv.Backends().Redis

	var rm, own roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Drain"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Only on B"}, &own); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	a.publish(api, a.base+"/whip/"+rm.ID, rm.PushKey, 1)
	b.publish(api, b.base+"/whip/"+own.ID, own.PushKey, 3)

	// Three viewers at A (the origin), two at edge B, one at edge C.
	var onB []*edgeViewer
	for range 3 {
		a.watchHere(api, rm.ID, "q")
	}
	for range 2 {
		onB = append(onB, b.watchHere(api, rm.ID, "q"))
	}
	onC := c.watchHere(api, rm.ID, "q")
	for _, v := range append([]*edgeViewer{onC}, onB...) {
		testenv.Eventually(t, 20*time.Second, func() bool { return len(v.Packets()) >= 10 }, "an edge viewer got no media")
	}
	testenv.Eventually(t, 15*time.Second, func() bool {
		r := nodeRecords(t, rdb, ns)
		return r[a.base].Viewers == 3 && r[b.base].Viewers == 2 && r[c.base].Viewers == 1
	}, "load records do not show A 3, B 2, C 1 viewers: %v", nodeRecords(t, rdb, ns))

	// D does not serve the room (no cascade): its 307 goes to the
	// least-loaded node serving it, C, with the request's query.
	resp := noFollow(t, "POST", d.base+"/whep/"+rm.ID+"?layer=h", viewerOffer(t), "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != c.base+"/whep/"+rm.ID+"?layer=h" {
		t.Fatalf("WHEP at D = %d, Location %q; want 307 to C (fewest viewers)", resp.StatusCode, resp.Header.Get("Location"))
	}

	// B drains.
	if resp, body := b.request("POST", "/api/admin/drain", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("drain without the admin token = %d %s", resp.StatusCode, body)
	}
	if resp, body := b.request("POST", "/api/admin/drain", "", "Authorization", "Bearer "+b.admin); resp.StatusCode != http.StatusAccepted || !strings.Contains(body, `"draining"`) {
		t.Fatalf("drain = %d %s", resp.StatusCode, body)
	}
	if resp, body := b.request("GET", "/readyz", ""); resp.StatusCode != http.StatusServiceUnavailable || apiCode(body) != "draining" {
		t.Fatalf("B's /readyz while draining = %d %s", resp.StatusCode, body)
	}
	if resp, _ := a.request("GET", "/readyz", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("A's /readyz = %d", resp.StatusCode)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return nodeRecords(t, rdb, ns)[b.base].Draining }, "B's record does not say it drains")

	// A new viewer at B goes to the least-loaded node that does not drain
	// (C: one viewer, A: three).
	resp = noFollow(t, "POST", b.base+"/whep/"+rm.ID, viewerOffer(t), "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != c.base+"/whep/"+rm.ID {
		t.Fatalf("WHEP at draining B = %d, Location %q; want 307 to C", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A publisher, and a viewer of a room no other node serves, are refused
	// with a Retry-After.
	for _, r := range []struct{ name, url, body string }{
		{"WHIP", b.base + "/whip/" + rm.ID, publisherOffer(t)},
		{"WHEP of B's own room", b.base + "/whep/" + own.ID, viewerOffer(t)},
	} {
		hdr := []string{"Content-Type", "application/sdp"}
		if strings.Contains(r.url, "/whip/") {
			hdr = append(hdr, "Authorization", "Bearer "+rm.PushKey)
		}
		resp, body := b.request("POST", r.url, r.body, hdr...)
		if resp.StatusCode != http.StatusServiceUnavailable || apiCode(body) != "draining" || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s at draining B = %d %s (Retry-After %q); want 503 draining", r.name, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	}

	// B's viewers' sessions end within its window (3s; generous for a
	// loaded box), and their peers see it.
	testenv.Eventually(t, 15*time.Second, func() bool { return b.metricValue("livesell_sfu_viewers") == 0 }, "B's viewers were not moved")
	for _, v := range onB {
		testenv.Eventually(t, 40*time.Second, func() bool { return peerGone(v.PeerConnection()) }, "a viewer of B still connected after the drain")
	}
	// A viewer re-POSTing B's URL, as the player's reconnect does, plays
	// from another node.
	moved := b.play(api, b.base+"/whep/"+rm.ID)
	if !strings.HasPrefix(moved.location, c.base+"/whep/"+rm.ID+"/") && !strings.HasPrefix(moved.location, a.base+"/whep/"+rm.ID+"/") {
		t.Fatalf("re-POSTed viewer's session %q is not on A or C", moved.location)
	}
	flowing(t, moved, 20, 20*time.Second, "moved viewer")
	if !connected(onC) {
		t.Fatalf("C's viewer lost its PeerConnection: %v", onC.PeerConnection().ConnectionState())
	}

	// B drained: it stops without waiting for anything more.
	start := time.Now()
	stopB()
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("stopping drained B took %v", took)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { _, ok := nodeRecords(t, rdb, ns)[b.base]; return !ok }, "B's record outlived B")
}

// TestDrainOnShutdown: stopping a node of a cluster drains it first —
// its viewers' sessions end before the listener closes — and a viewer of
// a node over its max-viewers is sent to another node serving the room.
func TestDrainOnShutdown(t *testing.T) {
	shared := drainShared(t)
	a, _ := startCascadeNode(t, shared)
	b, stopB := startCascadeNode(t, with(shared, "LIVESELL_DRAIN_TIMEOUT", "2s", "LIVESELL_MAX_VIEWERS", "1"))
	api := peerAPI(t)
	var rm roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Shutdown"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	a.publish(api, a.base+"/whip/"+rm.ID, rm.PushKey, 1)
	v := b.watchHere(api, rm.ID, "q")
	testenv.Eventually(t, 20*time.Second, func() bool { return len(v.Packets()) >= 10 }, "B's viewer got no media")

	// B is at its cap: the next viewer goes to A.
	resp := noFollow(t, "POST", b.base+"/whep/"+rm.ID, viewerOffer(t), "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != a.base+"/whep/"+rm.ID {
		t.Fatalf("WHEP at full B = %d, Location %q; want 307 to A", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Stopping B drains it first: /readyz answers 503 draining while its
	// viewer is still being served, then the viewer's session ends.
	stopped := make(chan time.Duration, 1)
	start := time.Now()
	go func() { stopB(); stopped <- time.Since(start) }()
	testenv.Eventually(t, 10*time.Second, func() bool {
		resp, err := http.Get(b.base + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode == http.StatusServiceUnavailable && e.Error.Code == "draining"
	}, "B's /readyz did not answer 503 draining while it stopped")
	select {
	case took := <-stopped:
		if took > 15*time.Second {
			t.Fatalf("B took %v to stop; want within its drain window and shutdown grace", took)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("B did not stop")
	}
	testenv.Eventually(t, 40*time.Second, func() bool { return peerGone(v.PeerConnection()) }, "B's viewer still connected after B stopped")
}
