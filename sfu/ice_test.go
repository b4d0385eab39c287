package sfu

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// TestRestartICE restarts ICE the way a WHIP/WHEP PATCH does: the client
// sends new credentials, the server answers with its own and its candidates.
func TestRestartICE(t *testing.T) {
	e := newTestEngine(t, Config{})
	startPublisher(t, e, "r1", simulcast)
	v, s := startViewer(t, e, "r1", "h")
	waitFor(t, 10*time.Second, "packets", func() bool { return len(v.Packets()) >= 10 })

	pc := v.PeerConnection()
	offer, err := pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	ufrag, pwd := sdpCreds(t, offer.SDP)
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	params, err := s.RestartICE(testCtx(t), ufrag, pwd)
	if err != nil {
		t.Fatal(err)
	}
	old := pc.RemoteDescription().SDP
	if oldUfrag, _ := sdpCreds(t, old); params.Ufrag == "" || params.Ufrag == oldUfrag || len(params.Candidates) == 0 {
		t.Fatalf("restart params %+v (old ufrag %s)", params, oldUfrag)
	}
	answer := answerWithICE(t, old, params)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	if u, _ := sdpCreds(t, s.pc.RemoteDescription().SDP); u != ufrag {
		t.Fatalf("server kept remote ufrag %s, want %s", u, ufrag)
	}
	n := len(v.Packets())
	waitFor(t, 10*time.Second, "packets after the restart", func() bool { return len(v.Packets()) >= n+60 })
	if pc.ICEConnectionState() != webrtc.ICEConnectionStateConnected && pc.ICEConnectionState() != webrtc.ICEConnectionStateCompleted {
		t.Errorf("ICE state %s", pc.ICEConnectionState())
	}
}

func sdpCreds(t *testing.T, raw string) (ufrag, pwd string) {
	t.Helper()
	p, err := iceParams(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p.Ufrag, p.Pwd
}

// answerWithICE is the server's previous answer with the new credentials
// and candidates, as a WHIP client builds it from a PATCH response.
func answerWithICE(t *testing.T, raw string, p ICEParams) string {
	t.Helper()
	withCreds, err := withICECredentials(raw, p.Ufrag, p.Pwd)
	if err != nil {
		t.Fatal(err)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(withCreds); err != nil {
		t.Fatal(err)
	}
	for i, md := range sd.MediaDescriptions {
		attrs := md.Attributes[:0]
		for _, a := range md.Attributes {
			if a.Key != "candidate" && a.Key != "end-of-candidates" {
				attrs = append(attrs, a)
			}
		}
		if i == 0 {
			for _, c := range p.Candidates {
				attrs = append(attrs, sdp.Attribute{Key: "candidate", Value: strings.TrimPrefix(c, "candidate:")})
			}
		}
		md.Attributes = attrs
	}
	b, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
