package e2e_test

import (
	"maps"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/testenv"
)

// cascadeShared is the environment every node of a cascade test shares:
// the real stores, one namespace, the same secrets.
func cascadeShared(t *testing.T) map[string]string {
	return testenv.ClusterEnv(t, "LIVESELL_NODE_SECRET", testenv.NodeSecret)
}

// withUpstream is shared plus this node's upstream.
func withUpstream(shared map[string]string, upstream string) map[string]string {
	vars := maps.Clone(shared)
	vars["LIVESELL_CASCADE_UPSTREAM"] = upstream
	return vars
}

// waitResumed waits until every viewer got n more packets than it had.
func waitResumed(t *testing.T, what string, vs ...*edgeViewer) {
	t.Helper()
	had := make([]int, len(vs))
	for i, v := range vs {
		had[i] = len(v.Packets())
	}
	testenv.Eventually(t, 30*time.Second, func() bool {
		for i, v := range vs {
			if len(v.Packets()) < had[i]+30 {
				return false
			}
		}
		return true
	}, "%s: viewers did not resume", what)
	for _, v := range vs {
		if !connected(v) {
			t.Fatalf("%s: a viewer lost its PeerConnection: %v", what, v.PeerConnection().ConnectionState())
		}
	}
}

// TestCascadeTiers is issue 17's tiered cascade: origin A (the publisher),
// regional edge R, edges E1 and E2 with R as their upstream. Viewers at
// E1 and E2 play from a keyframe, in sequence; A feeds one link (R), R
// two (E1, E2); the tiers show in /metrics; the depth guard refuses a
// chain too long; R's link to A breaks and is made again under E1's and
// E2's links; then R stops, and E1 and E2 fall back to A with their
// viewers still connected.
func TestCascadeTiers(t *testing.T) {
	shared := cascadeShared(t)
	a, _ := startCascadeNode(t, shared)
	r, stopR := startCascadeNode(t, shared)
	e1, _ := startCascadeNode(t, withUpstream(shared, r.base))
	e2, _ := startCascadeNode(t, withUpstream(shared, r.base+"/"))
	api := peerAPI(t)

	var rm roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Tiers"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	a.publish(api, a.base+"/whip/"+rm.ID, rm.PushKey, 1)

	v1 := e1.watchHere(api, rm.ID, "h")
	v2 := e2.watchHere(api, rm.ID, "f")
	cases := []struct {
		name string
		v    *edgeViewer
		want uint8
	}{{"E1 h", v1, 1}, {"E2 f", v2, 2}}
	for _, cs := range cases {
		testenv.Eventually(t, 20*time.Second, func() bool { return len(cs.v.Packets()) >= 30 }, "%s: no media", cs.name)
		pkts := cs.v.Packets()
		if !pkts[0].Keyframe {
			t.Errorf("%s: first packet is not a keyframe", cs.name)
		}
		for _, p := range pkts {
			if p.Tail.Layer != cs.want || p.Tail.Gen != 1 {
				t.Fatalf("%s: packet of layer %d gen %d, want layer %d gen 1", cs.name, p.Tail.Layer, p.Tail.Gen, cs.want)
			}
		}
		checkContinuous(t, cs.name, pkts)
		testenv.Eventually(t, 10*time.Second, func() bool { return cs.v.AudioPackets() > 0 }, "%s: no audio", cs.name)
	}

	// The tree: A feeds R only, R feeds E1 and E2 and has no viewer of its
	// own; each node shows its tier.
	tree := []struct {
		n                 *node
		name              string
		links, tier, upst float64
	}{{a, "A", 1, 0, 0}, {r, "R", 2, 1, 0}, {e1, "E1", 0, 2, 1}, {e2, "E2", 0, 2, 1}}
	for _, x := range tree {
		testenv.Eventually(t, 10*time.Second, func() bool {
			return x.n.metricValue("livesell_sfu_relay_links") == x.links && x.n.metricValue("livesell_cascade_depth") == x.tier
		}, "%s: relay links %v, tier %v; want %v and %v", x.name, x.n.metricValue("livesell_sfu_relay_links"), x.n.metricValue("livesell_cascade_depth"), x.links, x.tier)
		if got := x.n.metricValue("livesell_cascade_upstream_rooms"); got != x.upst {
			t.Fatalf("%s relays %v rooms through its upstream, want %v", x.name, got, x.upst)
		}
	}
	if got := r.metricValue("livesell_sfu_viewers"); got != 0 {
		t.Fatalf("R has %v viewers, want 0 (its edges are not viewers)", got)
	}

	// A sends each packet once (to R), R twice (to E1 and E2).
	ra, rr := forwardRatio(t, a, 3*time.Second), forwardRatio(t, r, 3*time.Second)
	t.Logf("A sends %.2f packets per packet in, R %.2f", ra, rr)
	if ra < 0.7 || ra > 1.3 {
		t.Fatalf("A sends %.2f packets per packet in: want about 1 (one link, to R)", ra)
	}
	if rr < 1.6 || rr > 2.4 {
		t.Fatalf("R sends %.2f packets per packet in: want about 2 (E1 and E2)", rr)
	}

	// The hop count: validated, and bounded by cascade-max-depth (3).
	offer := viewerOffer(t)
	for _, c := range []struct {
		depth, code string
		status      int
	}{{"x", "invalid_relay_depth", http.StatusBadRequest}, {"0", "invalid_relay_depth", http.StatusBadRequest}, {"4", "relay_too_deep", http.StatusLoopDetected}} {
		resp, body := a.request("POST", "/relay/"+rm.ID, offer, "Content-Type", "application/sdp",
			"Authorization", "Bearer "+shared["LIVESELL_NODE_SECRET"], "Livesell-Relay-Depth", c.depth)
		if resp.StatusCode != c.status || apiCode(body) != c.code {
			t.Fatalf("relay at depth %q = %d %s, want %d %s", c.depth, resp.StatusCode, body, c.status, c.code)
		}
	}

	// R's link to A breaks: R links again, E1's and E2's links to R stay
	// (they do not relink) and their viewers resume on the same stream.
	if n := a.srv.Engine().DropRelays(rm.ID); n != 1 {
		t.Fatalf("A dropped %d links, want 1 (R's)", n)
	}
	waitResumed(t, "R's relink", v1, v2)
	testenv.Eventually(t, 10*time.Second, func() bool { return r.metricValue("livesell_cascade_relinks_total") >= 1 }, "R did not relink")
	for _, e := range []*node{e1, e2} {
		if got := e.metricValue("livesell_cascade_relinks_total"); got != 0 {
			t.Fatalf("%s relinked %v times while R relinked, want 0", e.base, got)
		}
	}
	if got := r.metricValue("livesell_sfu_relay_links"); got != 2 {
		t.Fatalf("R's relay links after its relink = %v, want 2", got)
	}
	checkContinuous(t, "E1 across R's relink", v1.Packets())
	checkContinuous(t, "E2 across R's relink", v2.Packets())

	// R stops: E1 and E2 fall back to A directly, their viewers connected
	// throughout.
	stopR()
	waitResumed(t, "R stopped", v1, v2)
	for _, e := range []*node{e1, e2} {
		testenv.Eventually(t, 10*time.Second, func() bool {
			return e.metricValue("livesell_cascade_depth") == 1 && e.metricValue("livesell_cascade_upstream_rooms") == 0
		}, "%s is not linked to the origin (tier %v)", e.base, e.metricValue("livesell_cascade_depth"))
		if got := e.metricValue("livesell_cascade_upstream_fallbacks_total"); got < 1 {
			t.Fatalf("%s fell back %v times, want >= 1", e.base, got)
		}
	}
	if got := a.metricValue("livesell_sfu_relay_links"); got != 2 {
		t.Fatalf("A's relay links with R gone = %v, want 2 (E1, E2)", got)
	}
	checkContinuous(t, "E1 across the fallback", v1.Packets())
	checkContinuous(t, "E2 across the fallback", v2.Packets())
}

// TestCascadeUpstreamLoop: X and Y are each other's upstream. A viewer at
// X ends in a finite chain, not a loop: Y's link for X is refused by X,
// Y falls back to the origin O and feeds X; X refuses to feed the node
// its own link comes from.
func TestCascadeUpstreamLoop(t *testing.T) {
	shared := cascadeShared(t)
	o, _ := startCascadeNode(t, shared)
	lx, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ly, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	xBase, yBase := "http://"+lx.Addr().String(), "http://"+ly.Addr().String()
	x, _ := startCascadeNodeOn(t, lx, withUpstream(shared, yBase))
	y, _ := startCascadeNodeOn(t, ly, withUpstream(shared, xBase))
	api := peerAPI(t)

	var rm roomInfo
	if st := o.adminJSON("POST", "/api/rooms", map[string]any{"title": "Loop"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	o.publish(api, o.base+"/whip/"+rm.ID, rm.PushKey, 1)

	v := x.watchHere(api, rm.ID, "h")
	testenv.Eventually(t, 20*time.Second, func() bool { return len(v.Packets()) >= 30 }, "no media at X")
	if !v.Packets()[0].Keyframe {
		t.Errorf("first packet at X is not a keyframe")
	}
	checkContinuous(t, "X h", v.Packets())

	// One chain O → Y → X: O feeds Y only, Y feeds X, X feeds nobody.
	tree := []struct {
		n           *node
		name        string
		links, tier float64
	}{{o, "O", 1, 0}, {y, "Y", 1, 1}, {x, "X", 0, 2}}
	for _, c := range tree {
		testenv.Eventually(t, 10*time.Second, func() bool {
			return c.n.metricValue("livesell_sfu_relay_links") == c.links && c.n.metricValue("livesell_cascade_depth") == c.tier
		}, "%s: relay links %v, tier %v; want %v and %v", c.name, c.n.metricValue("livesell_sfu_relay_links"), c.n.metricValue("livesell_cascade_depth"), c.links, c.tier)
	}
	if got := y.metricValue("livesell_cascade_upstream_fallbacks_total"); got < 1 {
		t.Fatalf("Y fell back to the origin %v times, want >= 1 (X refused it)", got)
	}

	// Y asking X for the room (as it does when it goes back to its
	// upstream) is refused: X's link comes from Y.
	resp, body := x.request("POST", "/relay/"+rm.ID, viewerOffer(t), "Content-Type", "application/sdp",
		"Authorization", "Bearer "+shared["LIVESELL_NODE_SECRET"], "Livesell-Relay-Depth", "2", "Livesell-Relay-Node", yBase)
	if resp.StatusCode != http.StatusLoopDetected || apiCode(body) != "relay_too_deep" {
		t.Fatalf("relay from Y at X = %d %s, want 508 relay_too_deep", resp.StatusCode, body)
	}
	if got := x.metricValue("livesell_sfu_relay_links"); got != 0 {
		t.Fatalf("X feeds %v links after refusing Y, want 0", got)
	}
	if !connected(v) {
		t.Fatalf("X's viewer lost its PeerConnection: %v", v.PeerConnection().ConnectionState())
	}
}
