package e2e_test

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/sfu/synth"
)

// TestSingleUDPPort: with LIVESELL_UDP_PORT every session is served on that
// one port.
func TestSingleUDPPort(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	n := startNode(t, "LIVESELL_UDP_PORT", strconv.Itoa(port))
	api := peerAPI(t)
	var rm roomInfo
	if st := n.adminJSON("POST", "/api/rooms", map[string]any{"title": "mux"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	pub := n.publish(api, rm.WHIPURL, rm.PushKey, 1)
	defer pub.Close()
	udp := 0
	for _, c := range candidates(pub.PeerConnection().RemoteDescription().SDP) {
		f := strings.Fields(c)
		if strings.EqualFold(f[2], "udp") {
			udp++
			if f[5] != strconv.Itoa(port) {
				t.Fatalf("UDP candidate %q is not on port %d", c, port)
			}
		}
	}
	if udp == 0 {
		t.Fatal("no UDP candidate")
	}
	v := n.play(api, rm.WHEPURL)
	select {
	case <-v.Keyframe():
	case <-time.After(20 * time.Second):
		t.Fatal("viewer got no keyframe over the single port")
	}
}

// TestEngineRefusals checks the statuses the real engine's refusals map to:
// a second video section (422), a full node (503 + Retry-After), a second
// publisher (409), a viewer before the anchor (409 + Retry-After: 2).
func TestEngineRefusals(t *testing.T) {
	n := startNode(t, "LIVESELL_MAX_VIEWERS", "1")
	api := peerAPI(t)
	var rm roomInfo
	if st := n.adminJSON("POST", "/api/rooms", map[string]any{"title": "refusals"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	offerOf := func(pc *webrtc.PeerConnection) string {
		t.Helper()
		o, err := pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		gathered := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(o); err != nil {
			t.Fatal(err)
		}
		<-gathered
		return pc.LocalDescription().SDP
	}
	status := func(resp *http.Response, body string, want int, code, retry string) {
		t.Helper()
		var doc struct{ Error struct{ Code string } }
		_ = json.Unmarshal([]byte(body), &doc)
		if resp.StatusCode != want || doc.Error.Code != code || resp.Header.Get("Retry-After") != retry {
			t.Fatalf("got %d %s (Retry-After %q), want %d %s (%q)", resp.StatusCode, body, resp.Header.Get("Retry-After"), want, code, retry)
		}
	}

	// A viewer before the anchor.
	early, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if _, err := early.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	earlyOffer := offerOf(early)
	resp, body := n.request("POST", rm.WHEPURL, earlyOffer, "Content-Type", "application/sdp")
	status(resp, body, http.StatusConflict, "not_live", "2")

	// Two video tracks.
	two, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer two.Close()
	for _, id := range []string{"a", "b"} {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, id, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := two.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	resp, body = n.request("POST", rm.WHIPURL, offerOf(two), "Content-Type", "application/sdp", "Authorization", "Bearer "+rm.PushKey)
	status(resp, body, http.StatusUnprocessableEntity, "unsupported_media", "")

	pub := n.publish(api, rm.WHIPURL, rm.PushKey, 1)
	defer pub.Close()
	// A second publisher while the first is live.
	second, err := synth.NewPublisher(api, synth.PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	so, err := second.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, body = n.request("POST", rm.WHIPURL, so, "Content-Type", "application/sdp", "Authorization", "Bearer "+rm.PushKey)
	status(resp, body, http.StatusConflict, "room_busy", "")

	// The node takes one viewer.
	n.play(api, rm.WHEPURL)
	other, err := synth.NewViewer(api, synth.ViewerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	oo, err := other.Offer()
	if err != nil {
		t.Fatal(err)
	}
	resp, body = n.request("POST", rm.WHEPURL, oo, "Content-Type", "application/sdp")
	status(resp, body, http.StatusServiceUnavailable, "capacity", "5")
}
