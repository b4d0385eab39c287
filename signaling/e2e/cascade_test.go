package e2e_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
	"github.com/livesell/livesell/signaling/claim"
)

// startCascadeNode is startClusterNode with the cascade on and a stop
// function: the test kills an origin while its edges run.
func startCascadeNode(t *testing.T, shared map[string]string) (*node, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startCascadeNodeOn(t, ln, shared)
}

// startCascadeNodeOn is startCascadeNode on a listener of the caller's (so
// that nodes may name each other, e.g. as upstreams, before they start).
func startCascadeNodeOn(t *testing.T, ln net.Listener, shared map[string]string) (*node, func()) {
	t.Helper()
	base := "http://" + ln.Addr().String()
	vars := map[string]string{
		"LIVESELL_HTTP_ADDR":      ln.Addr().String(),
		"LIVESELL_PUBLIC_URL":     base,
		"LIVESELL_DATA_DIR":       t.TempDir(),
		"LIVESELL_ICE_INTERFACES": "lo",
		"LIVESELL_CASCADE":        "true",
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
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-served:
			case <-time.After(20 * time.Second):
				t.Error("server did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return &node{t: t, base: base, admin: srv.AdminToken(), srv: srv}, stop
}

// edgeViewer is a recording WHEP viewer that must be answered by the node
// it posts to (no redirect).
type edgeViewer struct {
	*synth.Viewer
	location string
}

func (n *node) watchHere(api *webrtc.API, roomID, layer string) *edgeViewer {
	n.t.Helper()
	sv, err := synth.NewViewer(api, synth.ViewerOptions{Record: true})
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { sv.Close() })
	offer, err := sv.Offer()
	if err != nil {
		n.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", n.base+"/whep/"+roomID+"?layer="+layer, strings.NewReader(offer))
	req.Header.Set("Content-Type", "application/sdp")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		n.t.Fatalf("WHEP at %s: %d %s (Location %q): want 201 from the edge itself", n.base, resp.StatusCode, body, resp.Header.Get("Location"))
	}
	loc := resp.Header.Get("Location")
	if err := sv.Start(string(body)); err != nil {
		n.t.Fatal(err)
	}
	return &edgeViewer{Viewer: sv, location: loc}
}

// checkContinuous fails unless pkts are one stream: sequence numbers
// without gap, one SSRC, timestamps never going back.
func checkContinuous(t *testing.T, what string, pkts []synth.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		a, b := pkts[i-1], pkts[i]
		if b.Seq != a.Seq+1 || b.SSRC != a.SSRC || int32(b.TS-a.TS) < 0 {
			t.Fatalf("%s: packet %d: seq %d ts %d ssrc %d after seq %d ts %d ssrc %d", what, i, b.Seq, b.TS, b.SSRC, a.Seq, a.TS, a.SSRC)
		}
	}
}

func (n *node) metricValue(name string) float64 {
	n.t.Helper()
	f, _ := strconv.ParseFloat(n.metric(name), 64)
	return f
}

// forwardRatio measures, over window, the packets node n sent per packet
// it received.
func forwardRatio(t *testing.T, n *node, window time.Duration) float64 {
	t.Helper()
	in0, out0 := n.metricValue("livesell_sfu_packets_in_total"), n.metricValue("livesell_sfu_packets_out_total")
	time.Sleep(window) // a measurement window, not a wait for a condition
	in, out := n.metricValue("livesell_sfu_packets_in_total")-in0, n.metricValue("livesell_sfu_packets_out_total")-out0
	if in < 50 {
		t.Fatalf("origin received %v packets in %v", in, window)
	}
	return out / in
}

func connected(v *edgeViewer) bool {
	return v.PeerConnection().ConnectionState() == webrtc.PeerConnectionStateConnected
}

// TestCascadeAcrossNodes is issue 17's multi-node test: one publisher on
// A, viewers on edges B and C served by the edges themselves, A's cost
// growing with edges and not viewers, a link loss that viewers survive, and
// the origin's death with a republish on D that viewers follow without a
// new WHEP request.
func TestCascadeAcrossNodes(t *testing.T) {
	ns := testenv.Namespace(t)
	shared := testenv.ClusterEnv(t, "LIVESELL_NAMESPACE", ns, "LIVESELL_NODE_SECRET", testenv.NodeSecret)
	a, stopA := startCascadeNode(t, shared)
	b, _ := startCascadeNode(t, shared)
	c, _ := startCascadeNode(t, shared)
	api := peerAPI(t)
	rdb := a.srv.Backends().Redis
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var rm roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Launch"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}

	// The relay endpoint takes the node credential only.
	for _, tok := range []string{"", shared["LIVESELL_ADMIN_TOKEN"], "cluster-node-secret-0123456789abcdef02"} {
		hdr := []string{"Content-Type", "application/sdp"}
		if tok != "" {
			hdr = append(hdr, "Authorization", "Bearer "+tok)
		}
		resp, body := a.request("POST", "/relay/"+rm.ID, viewerOffer(t), hdr...)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("relay with %q = %d %s, want 401", tok, resp.StatusCode, body)
		}
	}

	a.publish(api, a.base+"/whip/"+rm.ID, rm.PushKey, 1)

	// Viewers at B and C are answered there, each on its layer, from a
	// keyframe.
	vq := b.watchHere(api, rm.ID, "q")
	vf := b.watchHere(api, rm.ID, "f")
	vh := c.watchHere(api, rm.ID, "h")
	for _, v := range []*edgeViewer{vq, vf} {
		if !strings.HasPrefix(v.location, "/whep/") && !strings.HasPrefix(v.location, b.base) {
			t.Fatalf("viewer at B has session %q, want one on B", v.location)
		}
	}
	cases := []struct {
		name string
		v    *edgeViewer
		want uint8
	}{{"B q", vq, 0}, {"B f", vf, 2}, {"C h", vh, 1}}
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

	// A layer switch at the edge: q -> f, continuous.
	loc := vq.location
	if strings.HasPrefix(loc, "/") {
		loc = b.base + loc
	}
	if resp, body := b.request("PATCH", loc+"/layer", `{"layer":"f"}`, "Content-Type", "application/json"); resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH layer: %d %s", resp.StatusCode, body)
	}
	firstF := func() int {
		for i, p := range vq.Packets() {
			if p.Tail.Layer == 2 {
				return i
			}
		}
		return -1
	}
	testenv.Eventually(t, 15*time.Second, func() bool { i := firstF(); return i >= 0 && len(vq.Packets()) > i+20 }, "switch to f at the edge")
	if pk := vq.Packets(); !pk[firstF()].Keyframe {
		t.Errorf("first f packet after the switch is not a keyframe")
	}
	checkContinuous(t, "B q->f", vq.Packets())

	// The tree is visible: A feeds two edges, each edge announces its room
	// in Redis with a TTL and counts it in /metrics; A has no viewer.
	if got := a.metricValue("livesell_sfu_relay_links"); got != 2 {
		t.Fatalf("A's relay links = %v, want 2", got)
	}
	if got := a.metricValue("livesell_sfu_viewers"); got != 0 {
		t.Fatalf("A's viewers = %v, want 0 (all on edges)", got)
	}
	for _, e := range []*node{b, c} {
		if got := e.metricValue("livesell_cascade_relayed_rooms"); got != 1 {
			t.Fatalf("%s relays %v rooms, want 1", e.base, got)
		}
	}
	key := claim.RelaysKey(ns, rm.ID)
	if n := rdb.ZCard(rctx, key).Val(); n != 2 {
		t.Fatalf("relay announcements = %d, want 2", n)
	}
	if ttl := rdb.PTTL(rctx, key).Val(); ttl <= 0 || ttl > 10*time.Second {
		t.Fatalf("announcement TTL = %v", ttl)
	}

	// A's forwarding grows with edges, not viewers: about one packet per
	// edge for every packet in, before and after four more viewers at C.
	r1 := forwardRatio(t, a, 3*time.Second)
	var more []*edgeViewer
	for range 4 {
		more = append(more, c.watchHere(api, rm.ID, "q"))
	}
	for _, v := range more {
		testenv.Eventually(t, 20*time.Second, func() bool { return len(v.Packets()) >= 10 }, "extra viewer at C")
	}
	r2 := forwardRatio(t, a, 3*time.Second)
	t.Logf("A sends %.2f packets per packet in with 3 edge viewers, %.2f with 7", r1, r2)
	for _, r := range []float64{r1, r2} {
		if r < 1.6 || r > 2.4 {
			t.Fatalf("A sends %.2f packets per packet in: want about 2 (two edges)", r)
		}
	}
	if got := a.metricValue("livesell_sfu_relay_links"); got != 2 {
		t.Fatalf("A's relay links with 7 edge viewers = %v, want 2", got)
	}

	// Joining at an edge (its link up) costs no more than joining at the
	// origin: p95 of the time from POST to the first keyframe within the
	// origin's + 100 ms. The joins alternate between the two nodes, so a
	// burst of load on the box falls on both.
	join := func(n *node, layer string) time.Duration {
		t0 := time.Now()
		v := n.watchHere(api, rm.ID, layer)
		defer v.Close()
		select {
		case <-v.Keyframe():
		case <-time.After(20 * time.Second):
			t.Fatalf("no keyframe for a viewer at %s", n.base)
		}
		return v.FirstKeyframeAt().Sub(t0)
	}
	var origins, edges []time.Duration
	for range 20 {
		origins = append(origins, join(a, "h"))
		edges = append(edges, join(b, "h"))
	}
	p95 := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[(len(ds)*95+99)/100-1]
	}
	atOrigin, atEdge := p95(origins), p95(edges)
	t.Logf("join p95: %v at the origin, %v at an edge", atOrigin, atEdge)
	if atEdge > atOrigin+100*time.Millisecond {
		t.Errorf("join p95 at the edge %v, over the origin's %v + 100ms", atEdge, atOrigin)
	}
	testenv.Eventually(t, 15*time.Second, func() bool { return a.metricValue("livesell_sfu_viewers") == 0 }, "A's measuring viewers did not leave")

	// Kill the edges' links at the origin: they link again with backoff,
	// their viewers stay connected and resume, in sequence.
	if n := a.srv.Engine().DropRelays(rm.ID); n != 2 {
		t.Fatalf("dropped %d links, want 2", n)
	}
	nf, nh := len(vf.Packets()), len(vh.Packets())
	testenv.Eventually(t, 20*time.Second, func() bool {
		return len(vf.Packets()) > nf+30 && len(vh.Packets()) > nh+30
	}, "edge viewers did not resume after the link loss")
	for _, v := range []*edgeViewer{vq, vf, vh} {
		if !connected(v) {
			t.Fatalf("an edge viewer lost its PeerConnection with the link: %v", v.PeerConnection().ConnectionState())
		}
	}
	checkContinuous(t, "B f across the relink", vf.Packets())
	checkContinuous(t, "C h across the relink", vh.Packets())
	if got := b.metricValue("livesell_cascade_relinks_total"); got < 1 {
		t.Fatalf("B's relinks = %v, want >= 1", got)
	}

	// The origin dies; the anchor republishes on D: B's and C's viewers
	// play D's stream without a new WHEP request.
	d, _ := startCascadeNode(t, shared)
	stopA()
	testenv.Eventually(t, 20*time.Second, func() bool { return rdb.Exists(rctx, claim.Key(ns, rm.ID)).Val() == 0 }, "A's claim outlived A")
	d.publish(api, d.base+"/whip/"+rm.ID, rm.PushKey, 2)
	gen2 := func(v *edgeViewer) bool {
		p := v.Packets()
		return len(p) > 0 && p[len(p)-1].Tail.Gen == 2
	}
	testenv.Eventually(t, 30*time.Second, func() bool { return gen2(vf) && gen2(vh) }, "edge viewers did not follow the republish on D")
	for _, v := range []*edgeViewer{vq, vf, vh} {
		if !connected(v) {
			t.Fatalf("an edge viewer lost its PeerConnection with the origin: %v", v.PeerConnection().ConnectionState())
		}
	}
	checkContinuous(t, "B f across the new origin", vf.Packets())
	if got := d.metricValue("livesell_sfu_relay_links"); got != 2 {
		t.Fatalf("D's relay links = %v, want 2", got)
	}
}

// TestCascadeFallsBackToRedirect: an edge that cannot link to the origin
// (here the origin has no node credential: relay_unavailable) answers the
// viewer with the 307 to the origin, as without the cascade.
func TestCascadeFallsBackToRedirect(t *testing.T) {
	ns := testenv.Namespace(t)
	shared := testenv.ClusterEnv(t, "LIVESELL_NAMESPACE", ns)
	a, _ := startCascadeNode(t, shared)
	shared["LIVESELL_NODE_SECRET"] = "cluster-node-secret-0123456789abcdef01"
	b, _ := startCascadeNode(t, shared)
	api := peerAPI(t)

	var rm roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "No relay"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	a.publish(api, a.base+"/whip/"+rm.ID, rm.PushKey, 1)
	resp, body := a.request("POST", "/relay/"+rm.ID, viewerOffer(t), "Content-Type", "application/sdp", "Authorization", "Bearer "+shared["LIVESELL_NODE_SECRET"])
	if resp.StatusCode != http.StatusServiceUnavailable || apiCode(body) != "relay_unavailable" {
		t.Fatalf("relay on a node without node secret = %d %s", resp.StatusCode, body)
	}
	start := time.Now()
	resp = noFollow(t, "POST", b.base+"/whep/"+rm.ID, viewerOffer(t), "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != a.base+"/whep/"+rm.ID {
		t.Fatalf("WHEP at B = %d, Location %q; want the 307 fallback to A", resp.StatusCode, resp.Header.Get("Location"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("fallback took %v", d)
	}
	if got := b.metricValue("livesell_cascade_link_attempts_total"); got < 1 {
		t.Fatalf("B made %v link attempts, want >= 1", got)
	}
	if got := b.metricValue("livesell_cascade_relayed_rooms"); got != 0 {
		t.Fatalf("B relays %v rooms, want 0", got)
	}
}

// TestCascadeAnchorMovesToTheEdge: the anchor leaves the origin and
// publishes on the edge itself: the edge drops its link, its viewers play
// the local publisher without a new WHEP request.
func TestCascadeAnchorMovesToTheEdge(t *testing.T) {
	ns := testenv.Namespace(t)
	shared := testenv.ClusterEnv(t, "LIVESELL_NAMESPACE", ns, "LIVESELL_NODE_SECRET", testenv.NodeSecret)
	a, _ := startCascadeNode(t, shared)
	b, _ := startCascadeNode(t, shared)
	api := peerAPI(t)
	var rm roomInfo
	if st := a.adminJSON("POST", "/api/rooms", map[string]any{"title": "Moving anchor"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	// Off air: the edge answers not_live at once and links to nothing.
	if resp := noFollow(t, "POST", b.base+"/whep/"+rm.ID, viewerOffer(t), "Content-Type", "application/sdp"); resp.StatusCode != http.StatusConflict {
		t.Fatalf("WHEP at B off air = %d, want 409", resp.StatusCode)
	}
	if got := b.metricValue("livesell_cascade_link_attempts_total"); got != 0 {
		t.Fatalf("B tried %v links to a room off air", got)
	}
	pub := a.publish(api, a.base+"/whip/"+rm.ID, rm.PushKey, 1)
	v := b.watchHere(api, rm.ID, "h")
	testenv.Eventually(t, 20*time.Second, func() bool { return len(v.Packets()) >= 30 }, "no media at the edge")

	if resp, body := a.request("DELETE", pub.location, "", "Authorization", "Bearer "+pub.key); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE publisher: %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		return b.srv.Backends().Redis.Exists(context.Background(), claim.Key(ns, rm.ID)).Val() == 0
	}, "A's claim outlived its publisher")
	b.publish(api, b.base+"/whip/"+rm.ID, rm.PushKey, 2)
	testenv.Eventually(t, 20*time.Second, func() bool {
		p := v.Packets()
		return len(p) > 0 && p[len(p)-1].Tail.Gen == 2
	}, "the edge's viewer does not play the anchor publishing on the edge")
	if !connected(v) {
		t.Fatalf("viewer lost its PeerConnection: %v", v.PeerConnection().ConnectionState())
	}
	checkContinuous(t, "viewer across the move", v.Packets())
	testenv.Eventually(t, 10*time.Second, func() bool { return b.metricValue("livesell_cascade_relayed_rooms") == 0 }, "B still relays the room it now publishes")
}
