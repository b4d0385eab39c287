package signaling_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/room"
)

// TestEndingAPausedRoomTellsInteraction: the operator ends a room whose
// anchor is away (paused, no WHIP session left); interaction hears the room
// went off air once more, so it reads the ended state (the pages' closing
// screen, the after-show report's end), exactly once.
func TestEndingAPausedRoomTellsInteraction(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	r := h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if d := h.do("DELETE", r.header.Get("Location"), "", "Authorization", "Bearer "+rm.PushKey); d.status != http.StatusOK {
		t.Fatalf("DELETE = %d %s", d.status, d.body)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return h.roomState(rm.ID) == room.StatePaused }, "room not paused after the publisher left")
	if e := h.do("POST", "/api/rooms/"+rm.ID+"/end", "", "Authorization", "Bearer "+testAdmin); e.status != http.StatusOK {
		t.Fatalf("end = %d %s", e.status, e.body)
	}
	if st := h.roomState(rm.ID); st != room.StateEnded {
		t.Fatalf("state after end = %s", st)
	}
	h.events.mu.Lock()
	log := strings.Join(h.events.liveLog, ",")
	h.events.mu.Unlock()
	if want := rm.ID + "=true," + rm.ID + "=false," + rm.ID + "=false"; log != want {
		t.Fatalf("RoomLive calls = %s, want %s (the end told once more)", log, want)
	}
}
