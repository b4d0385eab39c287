package signaling_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/room"
)

// showLog records what signaling told about shows.
type showLog struct {
	mu  sync.Mutex
	got []string
}

func (l *showLog) Rescheduled(_ context.Context, room string, startsAt time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, "rescheduled "+room+" "+startsAt.UTC().Format(time.RFC3339))
	return nil
}

func (l *showLog) Cancelled(_ context.Context, room string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, "cancelled "+room)
	return nil
}

func (l *showLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.got
	l.got = nil
	return out
}

// TestShowRescheduledAndCancelled: a PATCH that moves starts_at tells the
// show events (one that does not move it does not); cancel is admin only,
// refuses a live room, makes WHIP answer show_cancelled, and a reopen
// lets the anchor publish again.
func TestShowRescheduledAndCancelled(t *testing.T) {
	shows := &showLog{}
	h := newHarness(t, func(o *signaling.Options) { o.Shows = shows })
	admin := []string{"Authorization", "Bearer " + testAdmin}
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var rm scheduledRoom
	if r := h.json("POST", "/api/rooms", map[string]any{"title": "Launch", "starts_at": start.Format(time.RFC3339)}, &rm, admin...); r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	later := start.Add(24 * time.Hour)
	if r := h.json("PATCH", "/api/rooms/"+rm.ID, map[string]any{"starts_at": later.Format(time.RFC3339)}, nil, admin...); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if r := h.json("PATCH", "/api/rooms/"+rm.ID, map[string]any{"title": "Launch!", "starts_at": later.Format(time.RFC3339)}, nil, admin...); r.status != 200 {
		t.Fatalf("patch title: %d %s", r.status, r.body)
	}
	if got := shows.take(); len(got) != 1 || got[0] != "rescheduled "+rm.ID+" "+later.Format(time.RFC3339) {
		t.Fatalf("show events %v, want one reschedule", got)
	}

	if r := h.do("POST", "/api/rooms/"+rm.ID+"/cancel", "", "Authorization", "Bearer "+rm.PushKey); r.status != http.StatusForbidden || r.code() != "admin_only" {
		t.Fatalf("cancel with a push key: %d %s", r.status, r.body)
	}
	var got scheduledRoom
	if r := h.json("POST", "/api/rooms/"+rm.ID+"/cancel", nil, &got, admin...); r.status != 200 || got.State != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusConflict || r.code() != "show_cancelled" {
		t.Fatalf("WHIP into a cancelled show: %d %s", r.status, r.body)
	}
	// Cancelling again re-tells (the receivers tell each holder once).
	if r := h.json("POST", "/api/rooms/"+rm.ID+"/cancel", nil, nil, admin...); r.status != 200 {
		t.Fatalf("cancel again: %d %s", r.status, r.body)
	}
	if got := shows.take(); len(got) != 2 || got[0] != "cancelled "+rm.ID {
		t.Fatalf("show events %v, want two cancels", got)
	}
	if r := h.json("POST", "/api/rooms/"+rm.ID+"/reopen", nil, &got, admin...); r.status != 200 || got.State != "scheduled" {
		t.Fatalf("reopen a cancelled show: %d %s", r.status, r.body)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish after reopen: %d %s", r.status, r.body)
	}
	if st := h.roomState(rm.ID); st != room.StateLive {
		t.Fatalf("state %s", st)
	}
	if r := h.do("POST", "/api/rooms/"+rm.ID+"/cancel", "", admin...); r.status != http.StatusConflict || r.code() != "state_conflict" {
		t.Fatalf("cancel a live show: %d %s", r.status, r.body)
	}
	if got := shows.take(); len(got) != 0 {
		t.Fatalf("show events %v after a refused cancel", got)
	}
}
