package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
)

// crashViewer is a recording WHEP viewer answered by the node it posted to,
// which remembers every state its PeerConnection left "connected" for.
type crashViewer struct {
	*synth.Viewer
	name string

	mu        sync.Mutex
	connected bool
	left      []webrtc.PeerConnectionState
}

// watch posts a WHEP offer for layer to node p, which must answer itself
// (201, no redirect).
func (p *proc) watch(api *webrtc.API, name, room, layer string) *crashViewer {
	p.t.Helper()
	sv, err := synth.NewViewer(api, synth.ViewerOptions{Record: true})
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { sv.Close() })
	v := &crashViewer{Viewer: sv, name: name}
	sv.PeerConnection().OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		v.mu.Lock()
		defer v.mu.Unlock()
		switch {
		case st == webrtc.PeerConnectionStateConnected:
			v.connected = true
		case v.connected:
			v.left = append(v.left, st)
		}
	})
	offer, err := sv.Offer()
	if err != nil {
		p.t.Fatal(err)
	}
	resp, body := p.do("POST", "/whep/"+room+"?layer="+layer, offer, "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusCreated {
		p.t.Fatalf("WHEP %s at %s: %d %s (Location %q): want 201 from the node itself", name, p.name, resp.StatusCode, body, resp.Header.Get("Location"))
	}
	if err := sv.Start(body); err != nil {
		p.t.Fatal(err)
	}
	return v
}

// stayedConnected fails the test if v's PeerConnection ever left
// "connected" or is not connected now.
func (v *crashViewer) stayedConnected(t *testing.T, when string) {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.connected || len(v.left) > 0 {
		t.Fatalf("%s: viewer %s's PeerConnection left connected: %v (connected once: %v)", when, v.name, v.left, v.connected)
	}
}

// since returns v's packets from index i on.
func (v *crashViewer) since(i int) []synth.Packet { return v.Packets()[i:] }

// lastGen is the generation of v's last packet (0 before any).
func (v *crashViewer) lastGen() uint8 {
	p := v.Packets()
	if len(p) == 0 {
		return 0
	}
	return p[len(p)-1].Tail.Gen
}

// continuous fails unless pkts are one stream: sequence numbers without a
// gap, one SSRC, timestamps never going back.
func continuous(t *testing.T, what string, pkts []synth.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		a, b := pkts[i-1], pkts[i]
		if b.Seq != a.Seq+1 || b.SSRC != a.SSRC || int32(b.TS-a.TS) < 0 {
			t.Fatalf("%s: packet %d: seq %d ts %d ssrc %d after seq %d ts %d ssrc %d", what, i, b.Seq, b.TS, b.SSRC, a.Seq, a.TS, a.SSRC)
		}
	}
}

// longestGap is the longest time between two consecutive packets of pkts.
func longestGap(pkts []synth.Packet) time.Duration {
	var gap int64
	for i := 1; i < len(pkts); i++ {
		gap = max(gap, pkts[i].ArrivalNs-pkts[i-1].ArrivalNs)
	}
	return time.Duration(gap)
}

// genFreeze is the time from v's last packet of generation from to its
// first of generation to (-1 before both arrived).
func genFreeze(pkts []synth.Packet, from, to uint8) time.Duration {
	var last, first int64
	for _, p := range pkts {
		switch {
		case p.Tail.Gen == from:
			last = p.ArrivalNs
		case p.Tail.Gen == to && first == 0:
			first = p.ArrivalNs
		}
	}
	if last == 0 || first == 0 {
		return -1
	}
	return time.Duration(first - last)
}

// anchor is a synthetic encoder's offer for generation gen, to post over
// WHIP as many times as it takes (an encoder reconnecting).
type anchor struct {
	*synth.Publisher
	offer string
}

func newAnchor(t *testing.T, api *webrtc.API, gen uint8) *anchor {
	t.Helper()
	p, err := synth.NewPublisher(api, synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Gen: gen, Bitrates: []int{60_000, 120_000, 240_000}, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	return &anchor{Publisher: p, offer: offer}
}

// publish posts the anchor's offer to node p once; on 201 it starts
// sending and waits for its PeerConnection. It returns the status and the
// error code of a refusal.
func (a *anchor) publish(t *testing.T, p *proc, room, key string) (int, string) {
	t.Helper()
	resp, body := p.do("POST", "/whip/"+room, a.offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+key)
	if resp.StatusCode != http.StatusCreated {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal([]byte(body), &e)
		return resp.StatusCode, e.Error.Code
	}
	if err := a.Start(body); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := synth.WaitConnected(ctx, a.PeerConnection()); err != nil {
		t.Fatalf("anchor not connected to %s: %v", p.name, err)
	}
	return resp.StatusCode, ""
}

// TestOriginCrashAcrossProcesses is issue 17's multi-node test with real
// processes: livesell nodes on loopback sharing the real Redis, PostgreSQL
// and NATS; the anchor publishes on A, viewers watch at edges B and C.
// (a) The links of the edges are dropped at the origin and come back while
// the viewers stay connected. (b) A is killed (SIGKILL: its claim is not
// released, its links end without a goodbye) and the anchor's encoder
// reconnects to D at once: D takes the dead node's claim over, and B's and
// C's viewers play D's stream without a new WHEP request, their
// PeerConnections never leaving "connected". (c) D is killed and the anchor
// stays away; when it comes back on E the edges follow within a moment.
// The freezes, D's refusals and the edges' reaction times are logged.
func TestOriginCrashAcrossProcesses(t *testing.T) {
	shared := sharedCluster(t)
	started := time.Now()
	nodes := startProcs(t, shared, "A", "B", "C", "D")
	a, b, c, d := nodes[0], nodes[1], nodes[2], nodes[3]
	t.Logf("four nodes up in %v", time.Since(started).Round(time.Millisecond))
	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}

	var rm struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	resp, body := a.do("POST", "/api/rooms", `{"title":"Crash"}`, "Authorization", "Bearer "+a.admin, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(body), &rm) != nil {
		t.Fatalf("create room: %d %s", resp.StatusCode, body)
	}
	gen1 := newAnchor(t, api, 1)
	if st, code := gen1.publish(t, a, rm.ID, rm.PushKey); st != http.StatusCreated {
		t.Fatalf("WHIP at A: %d %s", st, code)
	}

	// Viewers at B and C, each answered by its node, play A's stream.
	viewers := []*crashViewer{b.watch(api, "B h", rm.ID, "h"), b.watch(api, "B q", rm.ID, "q"), c.watch(api, "C f", rm.ID, "f")}
	for _, v := range viewers {
		testenv.Eventually(t, 30*time.Second, func() bool { return len(v.Packets()) >= 30 }, "%s: no media", v.name)
		pkts := v.Packets()
		if !pkts[0].Keyframe || pkts[0].Tail.Gen != 1 {
			t.Fatalf("%s: first packet keyframe %v gen %d", v.name, pkts[0].Keyframe, pkts[0].Tail.Gen)
		}
		continuous(t, v.name, pkts)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return a.metric("livesell_sfu_relay_links") == 2 }, "A does not feed two edges")

	// (a) The origin drops its edges' links; each edge links again and its
	// viewers resume, in sequence, never leaving connected.
	var marks []int
	for _, v := range viewers {
		marks = append(marks, len(v.Packets()))
	}
	if _, n := a.do("POST", a.control+"/drop-relays/"+rm.ID, ""); n != "2" {
		t.Fatalf("A dropped %s links, want 2", n)
	}
	for i, v := range viewers {
		testenv.Eventually(t, 20*time.Second, func() bool { return len(v.Packets()) > marks[i]+30 }, "%s did not resume after the link loss", v.name)
	}
	for i, v := range viewers {
		v.stayedConnected(t, "after the link loss")
		continuous(t, v.name+" across the relink", v.Packets())
		t.Logf("link loss: %s froze %v", v.name, longestGap(v.since(max(marks[i]-1, 0))).Round(time.Millisecond))
	}
	for _, e := range []*proc{b, c} {
		if got := e.metric("livesell_cascade_relinks_total"); got < 1 {
			t.Fatalf("%s's relinks = %v, want >= 1", e.name, got)
		}
	}

	// (b) A dies. The anchor's encoder reconnects to D at once; D refuses
	// it while A's claim stands and A may be alive.
	gen2 := newAnchor(t, api, 2)
	a.kill()
	killed := time.Now()
	gen1.Close()
	refusals := 0
	for {
		st, code := gen2.publish(t, d, rm.ID, rm.PushKey)
		if st == http.StatusCreated {
			break
		}
		if st != http.StatusConflict || code != "room_busy" {
			t.Fatalf("WHIP at D after A's death: %d %s", st, code)
		}
		refusals++
		if time.Since(killed) > 30*time.Second {
			t.Fatalf("D refused the republish for %v", time.Since(killed))
		}
		time.Sleep(100 * time.Millisecond) // an encoder's retry interval
	}
	refused := time.Since(killed)
	t.Logf("republish on D accepted %v after A's SIGKILL (%d refusals)", refused.Round(time.Millisecond), refusals)
	if refusals > 0 {
		t.Errorf("D refused the republish %d times (%v): A's claim should be taken over at once", refusals, refused)
	}

	// B and C notice, follow the claim to D, and their viewers play D's
	// stream on their existing sessions.
	for _, e := range []*proc{b, c} {
		var up time.Time
		testenv.Eventually(t, 30*time.Second, func() bool {
			var ok bool
			up, ok = e.logged(killed, "cascade link up", "to="+d.base)
			return ok
		}, "%s never linked to D", e.name)
		down, _ := e.logged(killed, "cascade link")
		t.Logf("edge %s: link to A ended %v after the SIGKILL, link to D up %v after it", e.name, down.Sub(killed).Round(time.Millisecond), up.Sub(killed).Round(time.Millisecond))
	}
	for _, v := range viewers {
		testenv.Eventually(t, 30*time.Second, func() bool { return v.lastGen() == 2 }, "%s does not play D's stream", v.name)
	}
	const freezeBound = 15 * time.Second
	for _, v := range viewers {
		v.stayedConnected(t, "after the origin's death")
		pkts := v.Packets()
		continuous(t, v.name+" across the new origin", pkts)
		f := genFreeze(pkts, 1, 2)
		t.Logf("origin crash: %s froze %v (last gen-1 packet to first gen-2 packet)", v.name, f.Round(time.Millisecond))
		if f < 0 || f > freezeBound {
			t.Errorf("%s froze %v across the origin's death, want < %v", v.name, f, freezeBound)
		}
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return d.metric("livesell_sfu_relay_links") == 2 }, "D does not feed the two edges")
	if got := d.metric("livesell_sfu_viewers"); got != 0 {
		t.Fatalf("D has %v viewers: a viewer made a new WHEP request to the origin", got)
	}
	for _, e := range []*proc{b, c} {
		if got := e.metric("livesell_cascade_relayed_rooms"); got != 1 {
			t.Fatalf("%s relays %v rooms, want 1", e.name, got)
		}
	}

	// (c) D dies too and the anchor stays away: the edges notice by
	// themselves (D's claim expires, the link's ICE times out) and keep
	// their viewers; when the anchor comes back on another node E, they
	// follow it promptly, however long it was away.
	e := startProcs(t, shared, "E")[0]
	d.kill()
	killed = time.Now()
	gen2.Close()
	for _, n := range []*proc{b, c} {
		var down time.Time
		testenv.Eventually(t, 30*time.Second, func() bool {
			var ok bool
			down, ok = n.logged(killed, "cascade link")
			return ok
		}, "%s never noticed D's death", n.name)
		t.Logf("edge %s: link to D ended %v after its SIGKILL (no republish)", n.name, down.Sub(killed).Round(time.Millisecond))
	}
	// The anchor is away for longer than the edges' backoff takes to
	// reach its maximum: a scenario's duration, not a wait for a condition.
	time.Sleep(8 * time.Second)
	gen3 := newAnchor(t, api, 3)
	back := time.Now() // E's claim is taken during the request
	if st, code := gen3.publish(t, e, rm.ID, rm.PushKey); st != http.StatusCreated {
		t.Fatalf("WHIP at E after D's death: %d %s", st, code)
	}
	for _, n := range []*proc{b, c} {
		var up time.Time
		testenv.Eventually(t, 30*time.Second, func() bool {
			var ok bool
			up, ok = n.logged(back, "cascade link up", "to="+e.base)
			return ok
		}, "%s never linked to E", n.name)
		t.Logf("edge %s: link to E up %v after the republish", n.name, up.Sub(back).Round(time.Millisecond))
		// An edge that had backed off to 5 s between looks at the claim
		// would take up to that.
		if up.Sub(back) > 2500*time.Millisecond {
			t.Errorf("%s linked to E %v after the republish, want < 2.5s", n.name, up.Sub(back))
		}
	}
	for _, v := range viewers {
		testenv.Eventually(t, 30*time.Second, func() bool { return v.lastGen() == 3 }, "%s does not play E's stream", v.name)
	}
	for _, v := range viewers {
		v.stayedConnected(t, "after the anchor came back on E")
		pkts := v.Packets()
		continuous(t, v.name+" across the outage", pkts)
		var first int64
		for _, p := range pkts {
			if p.Tail.Gen == 3 {
				first = p.ArrivalNs
				break
			}
		}
		resumed := time.Unix(0, first).Sub(back)
		t.Logf("anchor back on E: %s resumed %v after the republish", v.name, resumed.Round(time.Millisecond))
		if resumed > 5*time.Second {
			t.Errorf("%s resumed %v after the republish on E, want < 5s", v.name, resumed)
		}
	}
	t.Logf("whole scenario %v", time.Since(started).Round(time.Millisecond))
}
