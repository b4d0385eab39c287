package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
)

// liveNode is a node serving on loopback for real Pion peers.
type liveNode struct {
	t     *testing.T
	base  string
	admin string
}

func startLiveNode(t *testing.T, mod func(*config.Config)) *liveNode {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	if mod != nil {
		mod(&cfg)
	}
	s := newServerWith(t, cfg)
	base, stop, err := s.Start("127.0.0.1:0", 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return &liveNode{t: t, base: base, admin: s.AdminToken()}
}

func (n *liveNode) do(method, path, body string, headers ...string) (*http.Response, string) {
	n.t.Helper()
	req, err := http.NewRequest(method, n.base+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (n *liveNode) createRoom() (id, pushKey string) {
	n.t.Helper()
	resp, body := n.do("POST", "/api/rooms", `{"title":"ICE timeout"}`, "Content-Type", "application/json", "Authorization", "Bearer "+n.admin)
	var room struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(body), &room) != nil {
		n.t.Fatalf("create room: %d %s", resp.StatusCode, body)
	}
	return room.ID, room.PushKey
}

func (n *liveNode) online(room string) (online, peak int64) {
	n.t.Helper()
	resp, body := n.do("GET", "/api/rooms/"+room+"/online", "")
	var doc struct{ Online, Peak int64 }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil {
		n.t.Fatalf("online: %d %s", resp.StatusCode, body)
	}
	return doc.Online, doc.Peak
}

// TestICEThatNeverConnectsIsClosed is #11.4 with real Pion peers: offers
// whose ICE never connects (the client never applies the answer) are
// closed after the ICE connect timeout — a WHIP one stops holding the
// room, a WHEP one never counts as a viewer — while a viewer that connects
// counts once.
func TestICEThatNeverConnectsIsClosed(t *testing.T) {
	const timeout = time.Second
	n := startLiveNode(t, func(c *config.Config) { c.Media.ICEConnectTimeout = timeout })
	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}

	// WHIP: a publisher that never connects holds the room only until the timeout.
	room, key := n.createRoom()
	ghost, err := synth.NewPublisher(api, synth.PublisherOptions{FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	defer ghost.Close()
	offer, err := ghost.Offer()
	if err != nil {
		t.Fatal(err)
	}
	whip := func() (*http.Response, string) {
		return n.do("POST", "/whip/"+room, offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+key)
	}
	if resp, body := whip(); resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", resp.StatusCode, body)
	}
	if resp, _ := whip(); resp.StatusCode != http.StatusConflict {
		t.Fatalf("second WHIP while the first holds the room: %d, want 409", resp.StatusCode)
	}
	start := time.Now()
	pub, err := synth.NewPublisher(api, synth.PublisherOptions{FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	pubOffer, err := pub.Offer()
	if err != nil {
		t.Fatal(err)
	}
	var answer string
	testenv.Eventually(t, 20*time.Second, func() bool {
		resp, body := n.do("POST", "/whip/"+room, pubOffer, "Content-Type", "application/sdp", "Authorization", "Bearer "+key)
		answer = body
		return resp.StatusCode == http.StatusCreated
	}, "the room stayed busy with a publisher that never connected")
	if waited := time.Since(start); waited > 10*timeout {
		t.Fatalf("the unconnected publisher held the room for %v (timeout %v)", waited, timeout)
	}
	if err := pub.Start(answer); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := synth.WaitConnected(ctx, pub.PeerConnection()); err != nil {
		t.Fatalf("publisher: %v", err)
	}

	// WHEP: one viewer never connects, one does.
	watch := func(v *synth.Viewer) (*http.Response, string) {
		o, err := v.Offer()
		if err != nil {
			t.Fatal(err)
		}
		var resp *http.Response
		var body string
		testenv.Eventually(t, 15*time.Second, func() bool {
			resp, body = n.do("POST", "/whep/"+room, o, "Content-Type", "application/sdp")
			return resp.StatusCode != http.StatusConflict // 409 until the room is live
		}, "the room did not go live")
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("WHEP: %d %s", resp.StatusCode, body)
		}
		return resp, body
	}
	never, err := synth.NewViewer(api, synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer never.Close()
	neverResp, _ := watch(never)
	real, err := synth.NewViewer(api, synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	_, realAnswer := watch(real)
	if err := real.Start(realAnswer); err != nil {
		t.Fatal(err)
	}
	if err := synth.WaitConnected(ctx, real.PeerConnection()); err != nil {
		t.Fatalf("viewer: %v", err)
	}
	// The unconnected viewer's session ends by itself: its resource is gone
	// (GET answers 204 while the session lives).
	loc := neverResp.Header.Get("Location")
	if resp, _ := n.do("GET", loc, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("GET on the fresh session: %d, want 204", resp.StatusCode)
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		resp, _ := n.do("GET", loc, "")
		return resp.StatusCode == http.StatusNotFound
	}, "the session of a viewer that never connected is still there")
	// Only the connected viewer ever counted.
	testenv.Eventually(t, 20*time.Second, func() bool {
		online, _ := n.online(room)
		return online == 1
	}, "the connected viewer is not counted")
	if online, peak := n.online(room); online != 1 || peak != 1 {
		t.Fatalf("online %d, peak %d; want 1 and 1 (the unconnected viewer must never count)", online, peak)
	}
}
