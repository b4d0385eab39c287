package datachannel

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/interaction"
)

// rooms is a room store for tests: every room is live.
type rooms struct{}

func (rooms) RoomInfo(context.Context, string) (interaction.RoomInfo, error) {
	return interaction.RoomInfo{State: interaction.StateLive}, nil
}

// clock is real time plus what the test advanced (to skip a rate limit's
// refill instead of sleeping through it).
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

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
type client struct {
	t    testing.TB
	name string
	send func([]byte) error

	mu   sync.Mutex
	msgs []map[string]any
	ch   chan struct{}
	// lossyBatches counts batches that came on the livesell-lossy channel.
	lossyBatches, lossyOther int
}

func (c *client) add(data []byte) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Errorf("%s received non-JSON %q: %v", c.name, data, err)
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *client) sendJSON(v map[string]any) {
	c.t.Helper()
	v["v"] = 1
	b, _ := json.Marshal(v)
	if err := c.send(b); err != nil {
		c.t.Fatalf("%s send: %v", c.name, err)
	}
}

func (c *client) find(pred func(map[string]any) bool) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if pred(m) {
			return m
		}
	}
	return nil
}

// waitFor waits, until timeout, for a received message matching pred.
func (c *client) waitFor(what string, timeout time.Duration, pred func(map[string]any) bool) map[string]any {
	c.t.Helper()
	var got map[string]any
	c.waitUntil(what, timeout, func() bool {
		got = c.find(pred)
		return got != nil
	})
	return got
}

// waitUntil waits, until timeout, for cond to hold; cond is tried again
// after every message received.
func (c *client) waitUntil(what string, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-c.ch:
		case <-deadline.C:
			c.t.Fatalf("%s: timed out after %s waiting for %s", c.name, timeout, what)
		}
	}
}

func isType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

func isError(code string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "error" && m["code"] == code }
}

// danmaku lists the danmaku received in batches.
func (c *client) danmaku() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, m := range c.msgs {
		if m["type"] != "batch" {
			continue
		}
		for _, d := range m["danmaku"].([]any) {
			out = append(out, d.(map[string]any))
		}
	}
	return out
}

func (c *client) danmakuTexts() []string {
	var out []string
	for _, d := range c.danmaku() {
		out = append(out, d["text"].(string))
	}
	return out
}

func (c *client) waitDanmaku(text string, timeout time.Duration) map[string]any {
	c.t.Helper()
	var got map[string]any
	c.waitUntil("danmaku "+text, timeout, func() bool {
		for _, d := range c.danmaku() {
			if d["text"] == text {
				got = d
				return true
			}
		}
		return false
	})
	return got
}

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
	c := &client{t: t, name: name, ch: make(chan struct{}, 1)}
	dc, err := cli.CreateDataChannel(Label, nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnMessage(func(m webrtc.DataChannelMessage) { c.add(m.Data) })
	c.send = dc.Send
	if lossy {
		ordered, retr := false, uint16(0)
		ldc, err := cli.CreateDataChannel(LossyLabel, &webrtc.DataChannelInit{Ordered: &ordered, MaxRetransmits: &retr})
		if err != nil {
			t.Fatal(err)
		}
		ldc.OnMessage(func(m webrtc.DataChannelMessage) {
			c.mu.Lock()
			if strings.Contains(string(m.Data), `"type":"batch"`) {
				c.lossyBatches++
			} else {
				c.lossyOther++
			}
			c.mu.Unlock()
			c.add(m.Data)
		})
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
	c.waitFor("welcome", 15*time.Second, isType("welcome"))
	return c
}
