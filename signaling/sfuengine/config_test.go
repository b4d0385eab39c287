package sfuengine_test

import (
	"errors"
	"testing"

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
	if _, err := e.Subscribe(t.Context(), signaling.SubscribeRequest{Room: "r", OfferSDP: "v=0"}); !errors.Is(err, signaling.ErrInvalidOffer) && !errors.Is(err, signaling.ErrNotLive) {
		t.Fatalf("Subscribe garbage = %v", err)
	}
	if _, err := e.Publish(t.Context(), signaling.PublishRequest{Room: "r", OfferSDP: "garbage"}); !errors.Is(err, signaling.ErrInvalidOffer) {
		t.Fatalf("Publish garbage = %v, want ErrInvalidOffer", err)
	}
	if e.RoomLive("r") {
		t.Fatal("room live without publisher")
	}
}
