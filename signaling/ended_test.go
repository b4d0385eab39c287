package signaling_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/room"
)

// TestLiveEndedElsewhereEndsSessionsHere: another node ending the live
// writes only the shared store; this node notices within the check
// interval and closes its publisher and viewers, and only in that room.
func TestLiveEndedElsewhereEndsSessionsHere(t *testing.T) {
	h := newHarness(t, nil)
	ended, other := h.createRoom(false), h.createRoom(false)
	for _, rm := range []createdRoom{ended, other} {
		if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
			t.Fatalf("publish: %d %s", r.status, r.body)
		}
		if r := h.play("/whep/" + rm.ID); r.status != http.StatusCreated {
			t.Fatalf("play: %d %s", r.status, r.body)
		}
	}
	if _, err := h.rooms.SetState(context.Background(), ended.ID, room.StateEnded); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		for _, s := range h.eng.sessions[:2] {
			if !s.closed() {
				return false
			}
		}
		return true
	}, "sessions of the ended room still open")
	time.Sleep(200 * time.Millisecond) // several check intervals
	for _, s := range h.eng.sessions[2:] {
		if s.closed() {
			t.Fatal("a session of another room was closed")
		}
	}
}
