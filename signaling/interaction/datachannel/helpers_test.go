package datachannel

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction"
	"github.com/livesell/livesell/signaling/interaction/interactiontest"
)

// rooms is a room store for tests: every room is live.
type rooms struct{}

func (rooms) RoomInfo(context.Context, string) (interaction.RoomInfo, error) {
	return interaction.RoomInfo{State: interaction.StateLive}, nil
}

type clock = interactiontest.Clock

// newHub starts a hub and its Attacher on b with fast intervals.
func newHub(t testing.TB, b *backend.Backends, ns string, clk *clock, tweak func(*interaction.Options)) (*interaction.Hub, *Attacher) {
	t.Helper()
	chat := config.Default().Chat
	chat.BatchInterval = 50 * time.Millisecond
	opts := interaction.Options{
		Namespace:        ns,
		Chat:             chat,
		Redis:            b.Redis,
		NATS:             b.NATS,
		JetStream:        b.JetStream,
		Rooms:            rooms{},
		Credentials:      auth.New(auth.Options{}),
		Now:              clk.Now,
		Log:              testenv.Logger(t),
		PresenceInterval: 100 * time.Millisecond,
		FlushInterval:    50 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := interaction.New(ctx, opts, []string{"scam", "垃圾"})
	if err != nil {
		t.Fatalf("interaction.New: %v", err)
	}
	a := New(h, testenv.Logger(t))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
		if err := h.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
	})
	return h, a
}

// client records what a test peer receives.
type client = interactiontest.Client

var (
	isType  = interactiontest.IsType
	isError = interactiontest.IsError
)

// loopbackAPI keeps every ICE candidate on loopback.
func loopbackAPI() *webrtc.API {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(n string) bool { return n == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}

// dcClient connects a Pion peer to a "server" Pion peer whose data
// channels a hands to the hub as who's, and waits for the welcome.
func dcClient(t testing.TB, a *Attacher, roomID, name string, who auth.Identity, anchor, lossy bool) *client {
	t.Helper()
	api := loopbackAPI()
	srv, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close(); srv.Close() })
	srv.OnDataChannel(func(dc *webrtc.DataChannel) { a.AttachDataChannel(roomID, who, anchor, dc) })
	c := interactiontest.NewClient(t, name)
	dc, err := cli.CreateDataChannel(Label, nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnMessage(func(m webrtc.DataChannelMessage) { c.Add(m.Data) })
	c.Send = dc.Send
	if lossy {
		ordered, retr := false, uint16(0)
		ldc, err := cli.CreateDataChannel(LossyLabel, &webrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: &retr})
		if err != nil {
			t.Fatal(err)
		}
		ldc.OnMessage(func(m webrtc.DataChannelMessage) { c.AddLossy(m.Data) })
	}
	offer, err := cli.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := webrtc.GatheringCompletePromise(cli)
	if err := cli.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-g
	if err := srv.SetRemoteDescription(*cli.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := srv.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	g = webrtc.GatheringCompletePromise(srv)
	if err := srv.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-g
	if err := cli.SetRemoteDescription(*srv.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	c.WaitFor("welcome", 15*time.Second, isType("welcome"))
	return c
}
