package e2e_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/synth"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/room"
)

// recorder is a signaling.RoomEvents that records every call.
type recorder struct {
	mu       sync.Mutex
	joined   []string // user ids
	left     map[string]int
	channels []string // "user anchor=bool label"
	live     []string
}

func (r *recorder) ViewerJoined(room string, who auth.Identity) func() {
	r.mu.Lock()
	r.joined = append(r.joined, who.UserID)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.left[who.UserID]++
		r.mu.Unlock()
	}
}

func (r *recorder) AttachDataChannel(room string, who auth.Identity, anchor bool, dc *webrtc.DataChannel) {
	r.mu.Lock()
	r.channels = append(r.channels, fmt.Sprintf("%s anchor=%v %s", who.UserID, anchor, dc.Label()))
	r.mu.Unlock()
	dc.OnOpen(func() { _ = dc.SendText("hello " + who.UserID) })
}

func (r *recorder) RoomLive(room string, live bool) {
	r.mu.Lock()
	r.live = append(r.live, fmt.Sprintf("%v", live))
	r.mu.Unlock()
}

func (r *recorder) snapshot() (joined []string, left map[string]int, channels, live []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := map[string]int{}
	for k, v := range r.left {
		l[k] = v
	}
	return append([]string(nil), r.joined...), l, append([]string(nil), r.channels...), append([]string(nil), r.live...)
}

// TestInteractionHooks drives the RoomEvents hooks with the real engine and
// real peers: data channels labelled "livesell" reach the interaction layer
// (anchor or viewer), others do not; every WHEP session joins and leaves
// once; the engine's live changes are reported.
func TestInteractionHooks(t *testing.T) {
	ctx := context.Background()
	b := testenv.Backends(t, testenv.Embedded)
	rooms, err := room.NewStore(ctx, b.SQL)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{left: map[string]int{}}
	eng, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{"lo"}, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	users := auth.NewVerifier([]byte("hooks-secret-0123456789abcdef"), "")
	svc, err := signaling.New(signaling.Options{Engine: signaling.SFU(eng), Rooms: rooms, Keys: rooms,
		Auth: auth.New(auth.Options{AdminToken: "adm", Users: users, PushKeys: rooms}), Events: rec, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t)), DisableStartupMessage: true})
	svc.Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	defer app.Shutdown()
	n := &node{t: t, base: "http://" + ln.Addr().String(), admin: "adm"}

	rm, err := rooms.Create(ctx, room.NewRoom{Title: "hooks"})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := rooms.IssueKey(ctx, rm.ID)
	if err != nil {
		t.Fatal(err)
	}
	api := peerAPI(t)

	// The anchor opens a "livesell" data channel before its offer.
	p, err := synth.NewPublisher(api, synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Bitrates: []int{50_000, 100_000, 200_000}, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	anchorDC, err := p.PeerConnection().CreateDataChannel(signaling.DataChannelLabel, nil)
	if err != nil {
		t.Fatal(err)
	}
	anchorGot := make(chan string, 1)
	anchorDC.OnMessage(func(m webrtc.DataChannelMessage) { anchorGot <- string(m.Data) })
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, answer := n.request("POST", "/whip/"+rm.ID, offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+key)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", resp.StatusCode, answer)
	}
	pubLoc := resp.Header.Get("Location")
	if err := p.Start(answer); err != nil {
		t.Fatal(err)
	}

	// A signed-in viewer with a "livesell" channel and a channel of another label.
	tok, _, err := users.Mint("u-7", "Ann", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v, err := synth.NewViewer(api, synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	viewerDC, err := v.PeerConnection().CreateDataChannel(signaling.DataChannelLabel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.PeerConnection().CreateDataChannel("other", nil); err != nil {
		t.Fatal(err)
	}
	unordered, none := false, uint16(0)
	if _, err := v.PeerConnection().CreateDataChannel(signaling.LossyDataChannelLabel, &webrtc.DataChannelInit{Ordered: &unordered, MaxRetransmits: &none}); err != nil {
		t.Fatal(err)
	}
	viewerGot := make(chan string, 1)
	viewerDC.OnMessage(func(m webrtc.DataChannelMessage) { viewerGot <- string(m.Data) })
	voffer, err := v.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, vanswer := n.request("POST", "/whep/"+rm.ID, voffer, "Content-Type", "application/sdp", "Authorization", "Bearer "+tok)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHEP: %d %s", resp.StatusCode, vanswer)
	}
	viewLoc := resp.Header.Get("Location")
	if err := v.Start(vanswer); err != nil {
		t.Fatal(err)
	}
	// An anonymous viewer without data channels still counts as joined.
	anon, err := synth.NewViewer(api, synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	aoffer, _ := anon.Offer()
	resp, aanswer := n.request("POST", "/whep/"+rm.ID, aoffer, "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("anonymous WHEP: %d %s", resp.StatusCode, aanswer)
	}
	anonLoc := resp.Header.Get("Location")
	if err := anon.Start(aanswer); err != nil {
		t.Fatal(err)
	}

	for name, ch := range map[string]chan string{"anchor": anchorGot, "viewer": viewerGot} {
		select {
		case msg := <-ch:
			if !strings.HasPrefix(msg, "hello ") {
				t.Fatalf("%s got %q", name, msg)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s data channel never reached the interaction layer", name)
		}
	}
	// A viewer joins once its ICE connected, in whatever order.
	testenv.Eventually(t, 20*time.Second, func() bool { j, _, _, _ := rec.snapshot(); return len(j) >= 2 }, "viewers never joined")
	joined, _, channels, live := rec.snapshot()
	slices.Sort(joined)
	if len(joined) != 2 || !strings.HasPrefix(joined[0], "anon-") || joined[1] != "u-7" {
		t.Fatalf("joined = %v", joined)
	}
	// The lossy channel may open a moment after the reliable one.
	testenv.Eventually(t, 10*time.Second, func() bool { _, _, c, _ := rec.snapshot(); return len(c) >= 3 }, "lossy channel not handed over")
	_, _, channels, _ = rec.snapshot()
	want := map[string]bool{"anchor:" + rm.ID + " anchor=true livesell": true, "u-7 anchor=false livesell": true, "u-7 anchor=false livesell-lossy": true}
	seen := map[string]bool{}
	for _, c := range channels {
		seen[c] = true
	}
	if len(channels) != 3 || len(seen) != 3 || !seen["anchor:"+rm.ID+" anchor=true livesell"] || !seen["u-7 anchor=false livesell"] || !seen["u-7 anchor=false livesell-lossy"] {
		t.Fatalf("data channels handed over = %v, want %v", channels, want)
	}
	if strings.Join(live, ",") != "true" {
		t.Fatalf("RoomLive calls = %v", live)
	}

	// Leaving: DELETE for one viewer, a dropped connection for the other.
	if resp, body := n.request("DELETE", viewLoc, "", "Authorization", "Bearer "+tok); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE viewer: %d %s", resp.StatusCode, body)
	}
	anon.Close()
	if resp, body := n.request("DELETE", pubLoc, "", "Authorization", "Bearer "+key); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE publisher: %d %s", resp.StatusCode, body)
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		_, left, _, live := rec.snapshot()
		anonLeft := 0
		for k, v := range left {
			if strings.HasPrefix(k, "anon-") {
				anonLeft += v
			}
		}
		return left["u-7"] == 1 && anonLeft == 1 && strings.Join(live, ",") == "true,false"
	}, "viewers did not leave exactly once, or live=false was not reported")
	if resp, _ := n.request("GET", anonLoc, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("dropped viewer's session still answers %d", resp.StatusCode)
	}
	if r, _ := rooms.Get(ctx, rm.ID); r.State != room.StatePaused {
		t.Fatalf("state = %s, want paused", r.State)
	}
}
