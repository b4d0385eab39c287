package sfuengine_test

import (
	"errors"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/sfuengine"
)

func TestConfig(t *testing.T) {
	good := config.MediaConfig{ICEInterfaces: []string{"lo"}, NAT1To1IPs: []string{"203.0.113.7"}, UDPPortMin: 40000, UDPPortMax: 40100, ICETCPPort: 8443, MaxPublishers: 3, MaxViewers: 100}
	c, err := sfuengine.Config(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ICEInterfaces) != 1 || c.ICEInterfaces[0] != "lo" || c.NAT1To1IPs[0] != "203.0.113.7" || c.UDPPortMin != 40000 || c.UDPPortMax != 40100 ||
		c.ICETCPPort != 8443 || c.MaxPublishers != 3 || c.MaxViewers != 100 {
		t.Fatalf("Config = %+v", c)
	}
	for name, m := range map[string]config.MediaConfig{
		"port too big":  {UDPMuxPort: 70000},
		"range reverse": {UDPPortMin: 5, UDPPortMax: 4},
		"bad nat ip":    {NAT1To1IPs: []string{"example.com"}},
		"negative caps": {MaxViewers: -1},
	} {
		if _, err := sfuengine.Config(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEngineErrorsTranslate(t *testing.T) {
	eng, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{"lo"}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	e := sfuengine.New(eng)
	if _, err := e.Publish(t.Context(), signaling.PublishRequest{Room: "r", OfferSDP: "garbage"}); !errors.Is(err, signaling.ErrInvalidOffer) || !errors.Is(err, sfu.ErrInvalidOffer) {
		t.Fatalf("Publish garbage = %v, want ErrInvalidOffer (keeping the sfu cause)", err)
	}

	// A well-formed viewer offer for a room nobody publishes in.
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Subscribe(t.Context(), signaling.SubscribeRequest{Room: "r", OfferSDP: offer.SDP}); !errors.Is(err, signaling.ErrNotLive) {
		t.Fatalf("Subscribe to an empty room = %v, want ErrNotLive", err)
	}
	if e.RoomLive("r") {
		t.Fatal("room live without publisher")
	}
}
