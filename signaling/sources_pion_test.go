package signaling_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/synth"
	"github.com/livesell/livesell/signaling"
)

// TestVIPSourceWithRealPeers: on the real media engine with Pion peers on
// loopback, the anchor publishes the main camera (generation 1) and the
// backstage camera (generation 2) on the room's push key; a standard
// ticket is refused the backstage source and a VIP ticket receives its
// frames — and only its frames — while the main room shows the main
// camera.
func TestVIPSourceWithRealPeers(t *testing.T) {
	eng, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{"lo"}, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	tt := newTableTickets()
	h := newHarness(t, func(o *signaling.Options) { o.Engine = signaling.SFU(eng); o.Tickets = tt })
	rm := h.createRoom(false)
	tt.sell(rm.ID)
	tt.grant(rm.ID, "std", auth.Pass{Tier: "standard", Comment: true})
	tt.grant(rm.ID, "vip", auth.Pass{Tier: "vip", Sources: []string{"backstage"}, Comment: true, Highlight: true})
	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(user string) string {
		tok, _, _ := h.users.Mint(user, "", time.Hour)
		return "Bearer " + tok
	}

	publish := func(path string, gen uint8) {
		t.Helper()
		p, err := synth.NewPublisher(api, synth.PublisherOptions{Gen: gen, FPS: 15, Bitrates: []int{150_000}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		offer, err := p.Offer()
		if err != nil {
			t.Fatal(err)
		}
		r := h.do("POST", path, offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+rm.PushKey)
		if r.status != http.StatusCreated {
			t.Fatalf("WHIP %s: %d %s", path, r.status, r.body)
		}
		if err := p.Start(r.body); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := synth.WaitConnected(ctx, p.PeerConnection()); err != nil {
			t.Fatalf("publisher %s not connected: %v", path, err)
		}
	}
	publish("/whip/"+rm.ID, 1)
	publish("/whip/"+rm.ID+"/sources/backstage", 2)

	type seen struct{ gen1, gen2 atomic.Int64 }
	play := func(path, user string) (*seen, response) {
		t.Helper()
		s := &seen{}
		v, err := synth.NewViewer(api, synth.ViewerOptions{OnVideo: func(p synth.Packet) {
			if p.TailOK {
				switch p.Tail.Gen {
				case 1:
					s.gen1.Add(1)
				case 2:
					s.gen2.Add(1)
				}
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		offer, err := v.Offer()
		if err != nil {
			t.Fatal(err)
		}
		r := h.do("POST", path, offer, "Content-Type", "application/sdp", "Authorization", bearer(user))
		if r.status == http.StatusCreated {
			if err := v.Start(r.body); err != nil {
				t.Fatal(err)
			}
			if v.PeerConnection().ConnectionState() == webrtc.PeerConnectionStateFailed {
				t.Fatal("viewer failed")
			}
		}
		return s, r
	}

	if _, r := play("/whep/"+rm.ID+"/sources/backstage", "std"); r.status != http.StatusForbidden || r.code() != "source_not_in_pass" {
		t.Fatalf("standard ticket on backstage = %d %s, want 403 source_not_in_pass", r.status, r.body)
	}
	if _, r := play("/whep/"+rm.ID+"/sources/backstage", "stranger"); r.status != http.StatusForbidden || r.code() != "ticket_required" {
		t.Fatalf("no ticket on backstage = %d %s, want 403 ticket_required", r.status, r.body)
	}
	back, r := play("/whep/"+rm.ID+"/sources/backstage", "vip")
	if r.status != http.StatusCreated {
		t.Fatalf("VIP on backstage = %d %s", r.status, r.body)
	}
	main, r := play("/whep/"+rm.ID, "std")
	if r.status != http.StatusCreated {
		t.Fatalf("standard on the main source = %d %s", r.status, r.body)
	}
	testenv.Eventually(t, 20*time.Second, func() bool { return back.gen2.Load() >= 30 && main.gen1.Load() >= 30 },
		"frames: VIP backstage %d, standard main %d", back.gen2.Load(), main.gen1.Load())
	if back.gen1.Load() != 0 || main.gen2.Load() != 0 {
		t.Fatalf("sources mixed: the backstage viewer saw %d main packets, the main viewer %d backstage ones", back.gen1.Load(), main.gen2.Load())
	}
	if h.roomState(rm.ID) != "live" {
		t.Errorf("room state %s, want live", h.roomState(rm.ID))
	}
}
