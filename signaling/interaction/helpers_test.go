package interaction

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/livesell/livesell/signaling/room"
)

// fakeRooms is a room store for tests.
type fakeRooms struct {
	mu    sync.Mutex
	rooms map[string]room.Room
	keys  map[string]string // room → push key
}

func (f *fakeRooms) Get(_ context.Context, id string) (room.Room, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rooms[id]
	if !ok {
		return room.Room{}, room.ErrNotFound
	}
	return r, nil
}

func (f *fakeRooms) VerifyPushKey(_ context.Context, roomID, key string) (room.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.keys[roomID]; ok && auth.SecretEqual(key, k) {
		return room.Key{ID: "k1", RoomID: roomID}, nil
	}
	return room.Key{}, room.ErrBadKey
}

func newFakeRooms(ids ...string) *fakeRooms {
	f := &fakeRooms{rooms: map[string]room.Room{}, keys: map[string]string{}}
	for _, id := range ids {
		f.rooms[id] = room.Room{ID: id, State: room.StateLive}
		f.keys[id] = "push-" + id
	}
	return f
}

const testAdminToken = "admin-secret-token"

var testUsers = auth.NewVerifier([]byte("user-secret-for-tests-0123456789"), "")

func userToken(t testing.TB, id string) string {
	tok, _, err := testUsers.Mint(id, "name-"+id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newHub starts a hub on b with fast intervals.
func newHub(t testing.TB, b *backend.Backends, ns string, rooms *fakeRooms, tweak func(*Options)) *Hub {
	t.Helper()
	chat := config.Default().Chat
	chat.BatchInterval = 50 * time.Millisecond
	opts := Options{
		Namespace:        ns,
		Chat:             chat,
		Redis:            b.Redis,
		NATS:             b.NATS,
		JetStream:        b.JetStream,
		Users:            testUsers,
		AdminToken:       testAdminToken,
		Log:              testenv.Logger(t),
		PresenceInterval: 100 * time.Millisecond,
		FlushInterval:    50 * time.Millisecond,
		TimelineInterval: 200 * time.Millisecond,
	}
	if rooms != nil {
		opts.Rooms, opts.PushKeys = rooms, rooms
	}
	if tweak != nil {
		tweak(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := New(ctx, opts, []string{"scam", "垃圾"})
	if err != nil {
		t.Fatalf("interaction.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("hub close: %v", err)
		}
	})
	return h
}

// client records what a test peer receives.
type client struct {
	t    testing.TB
	name string
	send func([]byte) error

	mu   sync.Mutex
	msgs []map[string]any
	raw  [][]byte
	ch   chan struct{}
	// lossyBatches counts batches that came on the livesell-lossy channel.
	lossyBatches, lossyOther int
}

func newClient(t testing.TB, name string) *client {
	return &client{t: t, name: name, ch: make(chan struct{}, 1)}
}

func (c *client) add(data []byte) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Errorf("%s received non-JSON %q: %v", c.name, data, err)
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.raw = append(c.raw, append([]byte(nil), data...))
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *client) sendJSON(v map[string]any) {
	c.t.Helper()
	if _, ok := v["v"]; !ok {
		v["v"] = 1
	}
	b, _ := json.Marshal(v)
	if err := c.send(b); err != nil {
		c.t.Fatalf("%s send: %v", c.name, err)
	}
}

// find returns the first received message matching pred.
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

func (c *client) waitFor(what string, timeout time.Duration, pred func(map[string]any) bool) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if m := c.find(pred); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			c.mu.Lock()
			n := len(c.msgs)
			last := ""
			if n > 0 {
				b, _ := json.Marshal(c.msgs[n-1])
				last = string(b)
			}
			c.mu.Unlock()
			c.t.Fatalf("%s: timed out after %s waiting for %s (%d messages, last %s)", c.name, timeout, what, n, last)
		}
		select {
		case <-c.ch:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func isType(typ string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == typ }
}

func isError(code string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["type"] == "error" && m["code"] == code }
}

// danmakuTexts lists the texts of every danmaku received in batches.
func (c *client) danmakuTexts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m["type"] != "batch" {
			continue
		}
		for _, d := range m["danmaku"].([]any) {
			out = append(out, d.(map[string]any)["text"].(string))
		}
	}
	return out
}

func (c *client) hasDanmaku(text string) bool {
	for _, s := range c.danmakuTexts() {
		if s == text {
			return true
		}
	}
	return false
}

func (c *client) waitDanmaku(text string, timeout time.Duration) {
	c.t.Helper()
	testenv.Eventually(c.t, timeout, func() bool { return c.hasDanmaku(text) }, "%s never got danmaku %q (got %q)", c.name, text, c.danmakuTexts())
}

func (c *client) count(pred func(map[string]any) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if pred(m) {
			n++
		}
	}
	return n
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
// channels are handed to hub as who's, and waits for the welcome.
func dcClient(t testing.TB, h *Hub, roomID, name string, who auth.Identity, anchor, lossy bool) *client {
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
	srv.OnDataChannel(func(dc *webrtc.DataChannel) { h.AttachDataChannel(roomID, who, anchor, dc) })
	c := newClient(t, name)
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

func text(i int) string { return fmt.Sprintf("message %d", i) }
