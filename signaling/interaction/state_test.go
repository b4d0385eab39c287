package interaction

import (
	"testing"
	"time"

	"github.com/livesell/livesell/internal/testenv"
)

// RoomLive reports live, then paused, then ended once the room store says
// the anchor ended the live; a later joiner's welcome has the last state.
func TestRoomStates(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	rooms := newFakeRooms("s1")
	h := newHub(t, b, testenv.Namespace(t), rooms, nil)
	base := serveHub(t, h)
	v := wsClient(t, base, "/ws/rooms/s1", "viewer", map[string]any{"type": "hello"})
	v.WaitFor("welcome", 10*time.Second, isType("welcome"))
	isState := func(s string) func(map[string]any) bool {
		return func(m map[string]any) bool { return m["type"] == "state" && m["state"] == s }
	}
	h.RoomLive("s1", true)
	v.WaitFor("live", 10*time.Second, isState("live"))
	h.RoomLive("s1", false)
	v.WaitFor("paused", 10*time.Second, isState("paused"))
	rooms.setState("s1", StateEnded)
	h.RoomLive("s1", false)
	v.WaitFor("ended", 10*time.Second, isState("ended"))
	late := wsClient(t, base, "/ws/rooms/s1", "late", map[string]any{"type": "hello"})
	if w := late.WaitFor("welcome", 10*time.Second, isType("welcome")); w["state"] != "ended" {
		t.Fatalf("late welcome state = %v", w["state"])
	}
}
