package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu/synth"
	"github.com/livesell/livesell/signaling"
)

// node is a running server and an HTTP client for it.
type node struct {
	t     testing.TB
	base  string
	admin string
	srv   *server.Server
}

// startNode runs a node configured the way an operator does it, through
// LIVESELL_* variables (extra ones given as name, value pairs).
func startNode(t testing.TB, env ...string) *node {
	t.Helper()
	vars := map[string]string{
		"LIVESELL_HTTP_ADDR":      "127.0.0.1:0",
		"LIVESELL_DATA_DIR":       t.TempDir(),
		"LIVESELL_ICE_INTERFACES": "lo",
		"LIVESELL_ICE_SERVERS":    "stun:127.0.0.1:3478",
	}
	for i := 0; i+1 < len(env); i += 2 {
		vars[env[i]] = env[i+1]
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, testenv.Logger(t))
	if err != nil {
		cancel()
		t.Fatalf("server.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
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
	return &node{t: t, base: "http://" + ln.Addr().String(), admin: srv.AdminToken(), srv: srv}
}

// request sends an HTTP request; headers are name, value pairs.
func (n *node) request(method, url, body string, headers ...string) (*http.Response, string) {
	n.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = n.base + url
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (n *node) adminJSON(method, path string, body any, out any) int {
	n.t.Helper()
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	resp, text := n.request(method, path, raw, "Authorization", "Bearer "+n.admin, "Content-Type", "application/json")
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			n.t.Fatalf("%s %s: %s: %v", method, path, text, err)
		}
	}
	if resp.StatusCode >= 300 {
		n.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, text)
	}
	return resp.StatusCode
}

type roomInfo struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Live      bool   `json:"live"`
	PushKey   string `json:"push_key"`
	PushKeyID string `json:"push_key_id"`
	WHIPURL   string `json:"whip_url"`
	WHEPURL   string `json:"whep_url"`
}

func (n *node) room(id string) roomInfo {
	n.t.Helper()
	var r roomInfo
	resp, text := n.request("GET", "/api/rooms/"+id, "")
	if resp.StatusCode != 200 || json.Unmarshal([]byte(text), &r) != nil {
		n.t.Fatalf("GET room: %d %s", resp.StatusCode, text)
	}
	return r
}

// peerAPI is synth.NewAPI(true) with short ICE timeouts, so that a peer
// whose server side went away notices within a second.
func peerAPI(t testing.TB) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICETimeouts(300*time.Millisecond, 400*time.Millisecond, 100*time.Millisecond)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// publisher is a synthetic anchor publishing over WHIP.
type publisher struct {
	*synth.Publisher
	location, etag, key string
}

func (n *node) publish(api *webrtc.API, whipURL, key string, gen uint8) *publisher {
	n.t.Helper()
	p, err := synth.NewPublisher(api, synth.PublisherOptions{RIDs: []string{"q", "h", "f"}, Gen: gen, Bitrates: []int{60_000, 120_000, 240_000}, FPS: 15})
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() { p.Close() })
	offer, err := p.Offer()
	if err != nil {
		n.t.Fatal(err)
	}
	resp, answer := n.request("POST", whipURL, offer, "Content-Type", "application/sdp", "Authorization", "Bearer "+key)
	if resp.StatusCode != http.StatusCreated {
		n.t.Fatalf("WHIP: %d %s", resp.StatusCode, answer)
	}
	if !strings.Contains(resp.Header.Get("Link"), `<stun:127.0.0.1:3478>; rel="ice-server"`) {
		n.t.Fatalf("Link = %q", resp.Header.Values("Link"))
	}
	checkLoopback(n.t, answer)
	if err := p.Start(answer); err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := synth.WaitConnected(ctx, p.PeerConnection()); err != nil {
		n.t.Fatalf("publisher not connected: %v", err)
	}
	return &publisher{Publisher: p, location: resp.Header.Get("Location"), etag: resp.Header.Get("ETag"), key: key}
}

// viewer is a synthetic player over WHEP that remembers the generation of
// the last publisher it saw.
type viewer struct {
	*synth.Viewer
	location  string
	lastGen   atomic.Int32
	lastLayer atomic.Int32
	frames    atomic.Int64
}

func (n *node) play(api *webrtc.API, whepURL string) *viewer {
	n.t.Helper()
	v := &viewer{}
	sv, err := synth.NewViewer(api, synth.ViewerOptions{OnVideo: func(p synth.Packet) {
		if p.TailOK {
			v.lastGen.Store(int32(p.Tail.Gen))
			v.lastLayer.Store(int32(p.Tail.Layer))
			v.frames.Add(1)
		}
	}})
	if err != nil {
		n.t.Fatal(err)
	}
	v.Viewer = sv
	n.t.Cleanup(func() { sv.Close() })
	offer, err := sv.Offer()
	if err != nil {
		n.t.Fatal(err)
	}
	resp, answer := n.request("POST", whepURL+"?layer=auto", offer, "Content-Type", "application/sdp")
	if resp.StatusCode != http.StatusCreated {
		n.t.Fatalf("WHEP: %d %s", resp.StatusCode, answer)
	}
	v.location = resp.Header.Get("Location")
	if err := sv.Start(answer); err != nil {
		n.t.Fatal(err)
	}
	return v
}

// checkLoopback fails the test unless every candidate of the server's
// answer is on loopback (LIVESELL_ICE_INTERFACES=lo).
func checkLoopback(t testing.TB, answer string) {
	t.Helper()
	cands := candidates(answer)
	if len(cands) == 0 {
		t.Fatal("answer without candidates")
	}
	for _, c := range cands {
		f := strings.Fields(c)
		if len(f) < 8 {
			t.Fatalf("bad candidate %q", c)
		}
		if ip := net.ParseIP(f[4]); ip == nil || !ip.IsLoopback() {
			t.Fatalf("candidate off loopback: %q", c)
		}
	}
}

// candidates returns the a=candidate values of an SDP.
func candidates(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "a=candidate:") {
			out = append(out, line[2:])
		}
	}
	return out
}

// restartICE does what a WHIP client does for an ICE restart: a new offer
// with fresh credentials, its ufrag/pwd and candidates PATCHed as a
// trickle-ice-sdpfrag, and the server's fragment applied as the answer.
func (n *node) restartICE(p *publisher) (status int, etag string) {
	n.t.Helper()
	pc := p.PeerConnection()
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		n.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		n.t.Fatal(err)
	}
	<-gathered
	local := pc.LocalDescription().SDP
	info, err := signaling.ValidateOffer([]byte(local), 1<<20)
	if err != nil {
		n.t.Fatal(err)
	}
	frag := "a=ice-ufrag:" + info.Ufrag + "\r\na=ice-pwd:" + info.Pwd + "\r\nm=" + info.Kinds[0] + " 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:" + info.Mids[0] + "\r\n"
	for _, c := range candidates(local) {
		frag += "a=" + c + "\r\n"
	}
	resp, body := n.request("PATCH", p.location, frag, "Content-Type", "application/trickle-ice-sdpfrag", "If-Match", p.etag, "Authorization", "Bearer "+p.key)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	f, err := signaling.ParseFragment([]byte(body))
	if err != nil {
		n.t.Fatalf("server fragment %q: %v", body, err)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(pc.RemoteDescription().SDP); err != nil {
		n.t.Fatal(err)
	}
	d.Attributes = withoutICE(d.Attributes)
	for i, m := range d.MediaDescriptions {
		m.Attributes = append(withoutICE(m.Attributes), sdp.NewAttribute("ice-ufrag", f.Ufrag), sdp.NewAttribute("ice-pwd", f.Pwd))
		if i == 0 {
			for _, c := range f.Candidates {
				m.Attributes = append(m.Attributes, sdp.NewAttribute("candidate", strings.TrimPrefix(c.Value, "candidate:")))
			}
			m.Attributes = append(m.Attributes, sdp.NewPropertyAttribute("end-of-candidates"))
		}
	}
	answer, err := d.Marshal()
	if err != nil {
		n.t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		n.t.Fatalf("apply restart answer: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("ETag")
}

func withoutICE(attrs []sdp.Attribute) []sdp.Attribute {
	out := attrs[:0:0]
	for _, a := range attrs {
		switch a.Key {
		case "ice-ufrag", "ice-pwd", "candidate", "end-of-candidates":
		default:
			out = append(out, a)
		}
	}
	return out
}

// flowing waits until the viewer's frame count grows by at least want.
func flowing(t *testing.T, v *viewer, want int64, within time.Duration, msg string) {
	t.Helper()
	start := v.frames.Load()
	testenv.Eventually(t, within, func() bool { return v.frames.Load()-start >= want }, "%s: media not flowing (%d packets)", msg, v.frames.Load()-start)
}

func TestWHIPWHEPEndToEnd(t *testing.T) {
	n := startNode(t)
	api := peerAPI(t)

	var rm roomInfo
	if st := n.adminJSON("POST", "/api/rooms", map[string]any{"title": "Live sale"}, &rm); st != http.StatusCreated {
		t.Fatalf("create room: %d", st)
	}
	if rm.WHIPURL != n.base+"/whip/"+rm.ID || rm.WHEPURL != n.base+"/whep/"+rm.ID || rm.PushKey == "" {
		t.Fatalf("room = %+v", rm)
	}
	// Not live yet: players are told to retry.
	if resp, _ := n.request("POST", rm.WHEPURL, "v=0", "Content-Type", "application/sdp"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("garbage WHEP offer = %d", resp.StatusCode)
	}

	pub := n.publish(api, rm.WHIPURL, rm.PushKey, 1)
	if got := n.room(rm.ID); got.State != "live" || !got.Live {
		t.Fatalf("room after publish = %+v", got)
	}

	// Trickle: the publisher's own host candidate, sent again, is accepted.
	cands := candidates(pub.PeerConnection().LocalDescription().SDP)
	if len(cands) == 0 {
		t.Fatal("publisher has no candidates")
	}
	trickle := "a=ice-ufrag:" + mustInfo(t, pub.PeerConnection().LocalDescription().SDP).Ufrag + "\r\na=ice-pwd:" + mustInfo(t, pub.PeerConnection().LocalDescription().SDP).Pwd +
		"\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=" + cands[0] + "\r\na=end-of-candidates\r\n"
	if resp, body := n.request("PATCH", pub.location, trickle, "Content-Type", "application/trickle-ice-sdpfrag", "If-Match", pub.etag, "Authorization", "Bearer "+pub.key); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("trickle PATCH = %d %s", resp.StatusCode, body)
	}

	v := n.play(api, rm.WHEPURL)
	select {
	case <-v.Keyframe():
	case <-time.After(20 * time.Second):
		t.Fatalf("viewer got no keyframe (video %d, audio %d)", v.VideoPackets(), v.AudioPackets())
	}
	flowing(t, v, 20, 10*time.Second, "after join")
	testenv.Eventually(t, 10*time.Second, func() bool { return v.AudioPackets() > 0 }, "no audio")

	// Pin layers over the JSON endpoint: the viewer receives what it asked for.
	for _, l := range []struct {
		name  string
		layer int32
	}{{"q", 0}, {"f", 2}, {"h", 1}} {
		resp, body := n.request("PATCH", v.location+"/layer", `{"layer":"`+l.name+`"}`, "Content-Type", "application/json")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("layer %s: %d %s", l.name, resp.StatusCode, body)
		}
		testenv.Eventually(t, 10*time.Second, func() bool { return v.lastLayer.Load() == l.layer }, "viewer not switched to layer %s (last %d)", l.name, v.lastLayer.Load())
	}
	if resp, body := n.request("PATCH", v.location+"/layer", `{"layer":"auto"}`, "Content-Type", "application/json"); resp.StatusCode != http.StatusOK {
		t.Fatalf("layer auto: %d %s", resp.StatusCode, body)
	}

	// ICE restart on the publisher: 200, a new ETag, and media keeps flowing.
	status, etag := n.restartICE(pub)
	if status != http.StatusOK || etag == "" || etag == pub.etag {
		t.Fatalf("ICE restart = %d, ETag %q (was %q)", status, etag, pub.etag)
	}
	pub.etag = etag
	flowing(t, v, 30, 10*time.Second, "after ICE restart")
	if st := pub.PeerConnection().ConnectionState(); st != webrtc.PeerConnectionStateConnected {
		t.Fatalf("publisher after restart: %s", st)
	}

	// Revoking the key kicks the publisher within a second; the viewer stays.
	pubState := make(chan webrtc.PeerConnectionState, 16)
	pub.PeerConnection().OnConnectionStateChange(func(s webrtc.PeerConnectionState) { pubState <- s })
	revokedAt := time.Now()
	if st := n.adminJSON("DELETE", "/api/rooms/"+rm.ID+"/keys/"+rm.PushKeyID, nil, nil); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	testenv.Eventually(t, time.Second, func() bool {
		r := n.room(rm.ID)
		return !r.Live && r.State == "paused"
	}, "room still live one second after the key was revoked")
	if d := time.Since(revokedAt); d > time.Second {
		t.Fatalf("kick took %s", d)
	}
	deadline := time.After(3 * time.Second)
	var kickedAs webrtc.PeerConnectionState
	for kicked := false; !kicked; {
		select {
		case s := <-pubState:
			kickedAs = s
			kicked = s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed || s == webrtc.PeerConnectionStateDisconnected
		case <-deadline:
			t.Fatalf("publisher PeerConnection still %s after revocation", pub.PeerConnection().ConnectionState())
		}
	}
	t.Logf("publisher PeerConnection %s %s after the revocation", kickedAs, time.Since(revokedAt))
	// The old key no longer publishes.
	if resp, _ := n.request("POST", rm.WHIPURL, "v=0", "Content-Type", "application/sdp", "Authorization", "Bearer "+rm.PushKey); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("WHIP with revoked key = %d", resp.StatusCode)
	}
	pub.Close()
	time.Sleep(500 * time.Millisecond)
	if st := v.PeerConnection().ConnectionState(); st != webrtc.PeerConnectionStateConnected {
		t.Fatalf("viewer %s after the publisher was kicked", st)
	}

	// The anchor reconnects with a new key: the same viewer resumes.
	var k struct {
		PushKey string `json:"push_key"`
	}
	if st := n.adminJSON("POST", "/api/rooms/"+rm.ID+"/keys", nil, &k); st != http.StatusCreated {
		t.Fatalf("issue key: %d", st)
	}
	pub2 := n.publish(api, rm.WHIPURL, k.PushKey, 2)
	defer pub2.Close()
	testenv.Eventually(t, 15*time.Second, func() bool { return v.lastGen.Load() == 2 }, "viewer did not resume with the new publisher")
	flowing(t, v, 20, 10*time.Second, "after resume")
	if got := n.room(rm.ID); got.State != "live" || !got.Live {
		t.Fatalf("room after republish = %+v", got)
	}

	// DELETE ends the viewer's session.
	if resp, body := n.request("DELETE", v.location, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE viewer = %d %s", resp.StatusCode, body)
	}
	// Ending the live closes the publisher and marks the room ended.
	if st := n.adminJSON("POST", "/api/rooms/"+rm.ID+"/end", nil, nil); st != http.StatusOK {
		t.Fatalf("end: %d", st)
	}
	if got := n.room(rm.ID); got.State != "ended" || got.Live {
		t.Fatalf("room after end = %+v", got)
	}
}

func mustInfo(t *testing.T, s string) signaling.OfferInfo {
	t.Helper()
	info, err := signaling.ValidateOffer([]byte(s), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
