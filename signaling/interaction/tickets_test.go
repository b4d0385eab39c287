package interaction

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// passTable is auth.Tickets over a table the test writes (presale's cached
// entitlements are tested in their package and end to end in
// internal/server).
type passTable struct {
	mu     sync.Mutex
	rooms  map[string]bool
	passes map[string]auth.Pass
	err    error
}

func (pt *passTable) Pass(_ context.Context, room, user string) (bool, auth.Pass, bool, error) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.err != nil {
		return false, auth.Pass{}, false, pt.err
	}
	p, ok := pt.passes[room+"/"+user]
	return pt.rooms[room], p, ok, nil
}

func (pt *passTable) fail(err error) { pt.mu.Lock(); pt.err = err; pt.mu.Unlock() }

// TestTicketedRoomChannel: in a ticketed room the room channel refuses a
// viewer without a ticket (ticket_required) or whose ticket cannot be
// checked (ticket_check_unavailable), lets holders in, keeps comments to
// the tiers that include them, marks VIP danmaku, and a revoke closes the
// holder's channel; an open room is unchanged.
func TestTicketedRoomChannel(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		pt := &passTable{rooms: map[string]bool{"show": true}, passes: map[string]auth.Pass{
			"show/std":    {Tier: "standard", Comment: true},
			"show/vip":    {Tier: "vip", Comment: true, Highlight: true, Sources: []string{"backstage"}},
			"show/silent": {Tier: "watch-only"},
		}}
		h := newHub(t, b, ns, newFakeRooms("show", "open"), func(o *Options) { o.Tickets = pt })
		base := serveHub(t, h)
		hello := func(user string) map[string]any {
			return map[string]any{"v": 1, "type": "hello", "token": userToken(t, user)}
		}
		const wait = 10 * time.Second

		anon := wsClient(t, base, "/ws/rooms/show", "anon", nil)
		anon.SendJSON(map[string]any{"v": 1, "type": "like", "count": 1})
		anon.WaitFor("anonymous refused", wait, isError("ticket_required"))
		stranger := wsClient(t, base, "/ws/rooms/show", "stranger", hello("stranger"))
		stranger.WaitFor("stranger refused", wait, isError("ticket_required"))
		if stranger.Find(isType("welcome")) != nil {
			t.Fatal("a viewer without a ticket was welcomed")
		}
		pt.fail(errors.New("entitlements down"))
		unsure := wsClient(t, base, "/ws/rooms/show", "unsure", hello("std"))
		unsure.WaitFor("unknown answer refused", wait, isError("ticket_check_unavailable"))
		if unsure.Find(isType("welcome")) != nil {
			t.Fatal("a viewer whose ticket could not be checked was let in")
		}
		pt.fail(nil)

		std := wsClient(t, base, "/ws/rooms/show", "std", hello("std"))
		vip := wsClient(t, base, "/ws/rooms/show", "vip", hello("vip"))
		silent := wsClient(t, base, "/ws/rooms/show", "silent", hello("silent"))
		for _, c := range []*client{std, vip, silent} {
			c.WaitFor("welcome", wait, isType("welcome"))
		}
		if you := silent.Find(isType("welcome"))["you"].(map[string]any); you["can_chat"] != false {
			t.Errorf("a watch-only tier's welcome says can_chat %v", you["can_chat"])
		}
		silent.SendJSON(map[string]any{"v": 1, "type": "danmaku", "text": "let me talk"})
		silent.WaitFor("watch-only comment refused", wait, isError("ticket_required"))

		std.SendJSON(map[string]any{"v": 1, "type": "danmaku", "text": "standard here"})
		vip.SendJSON(map[string]any{"v": 1, "type": "danmaku", "text": "vip here"})
		if d := std.WaitDanmaku("vip here", wait); d["vip"] != true {
			t.Errorf("the VIP's danmaku = %v, want vip true", d)
		}
		if d := vip.WaitDanmaku("standard here", wait); d["vip"] != nil {
			t.Errorf("a standard danmaku = %v, want no vip mark", d)
		}

		if n := h.RevokeViewer("show", "vip"); n != 1 {
			t.Fatalf("RevokeViewer closed %d members, want 1", n)
		}
		vip.WaitFor("revoked viewer told", wait, isError("ticket_required"))
		std.SendJSON(map[string]any{"v": 1, "type": "danmaku", "text": "still here"})
		std.WaitDanmaku("still here", wait)

		// An open room: anyone in, as before.
		anyone := wsClient(t, base, "/ws/rooms/open", "anyone", hello("stranger"))
		anyone.WaitFor("welcome in an open room", wait, isType("welcome"))
	})
}
