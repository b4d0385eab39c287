package signaling_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/livesell/livesell/signaling/room"
)

type scheduledRoom struct {
	createdRoom
	StartsAt   string `json:"starts_at"`
	CoverURL   string `json:"cover_url"`
	ClonedFrom string `json:"cloned_from"`
}

func TestScheduledRoomAPI(t *testing.T) {
	h := newHarness(t, nil)
	admin := []string{"Authorization", "Bearer " + testAdmin}
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var rm scheduledRoom
	r := h.json("POST", "/api/rooms", map[string]any{"title": "Friday show", "starts_at": start.Format(time.RFC3339),
		"cover_url": "https://cdn.example/cover.jpg"}, &rm, admin...)
	if r.status != http.StatusCreated || rm.State != "scheduled" || rm.CoverURL != "https://cdn.example/cover.jpg" {
		t.Fatalf("create scheduled: %d %s", r.status, r.body)
	}
	if got, err := time.Parse(time.RFC3339, rm.StartsAt); err != nil || !got.Equal(start) {
		t.Fatalf("starts_at = %q, want %v", rm.StartsAt, start)
	}
	var got scheduledRoom
	if r := h.json("GET", "/api/rooms/"+rm.ID, nil, &got); r.status != http.StatusOK || got.State != "scheduled" || got.StartsAt != rm.StartsAt {
		t.Fatalf("public GET: %d %s", r.status, r.body)
	}

	for _, tt := range []struct {
		name   string
		method string
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"create: http cover", "POST", "/api/rooms", map[string]any{"title": "x", "cover_url": "http://cdn.example/c.jpg"}, 400, "invalid_room"},
		{"create: bad time", "POST", "/api/rooms", map[string]any{"title": "x", "starts_at": "tomorrow"}, 400, "invalid_room"},
		{"create: years ahead", "POST", "/api/rooms", map[string]any{"title": "x", "starts_at": "2999-01-01T00:00:00Z"}, 400, "invalid_room"},
		{"patch: http cover", "PATCH", "/api/rooms/" + rm.ID, map[string]any{"cover_url": "http://x/c.jpg"}, 400, "invalid_room"},
		{"patch: bad time", "PATCH", "/api/rooms/" + rm.ID, map[string]any{"starts_at": "12:00"}, 400, "invalid_room"},
		{"reopen: not ended", "POST", "/api/rooms/" + rm.ID + "/reopen", nil, 409, "state_conflict"},
		{"clone: unknown room", "POST", "/api/rooms/nope/clone", nil, 404, "room_not_found"},
		{"clone: bad title", "POST", "/api/rooms/" + rm.ID + "/clone", map[string]any{"title": " "}, 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := h.json(tt.method, tt.path, tt.body, nil, admin...)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	for _, path := range []string{"/api/rooms/" + rm.ID + "/reopen", "/api/rooms/" + rm.ID + "/clone"} {
		if r := h.do("POST", path, "", "Authorization", "Bearer "+rm.PushKey); r.status != http.StatusForbidden || r.code() != "admin_only" {
			t.Fatalf("%s with a push key: %d %s", path, r.status, r.body)
		}
	}

	// A start time in the past (or removed) shows idle again.
	got = scheduledRoom{}
	if r := h.json("PATCH", "/api/rooms/"+rm.ID, map[string]any{"starts_at": ""}, &got, admin...); r.status != 200 || got.State != "idle" || got.StartsAt != "" {
		t.Fatalf("clear starts_at: %d %s", r.status, r.body)
	}
	if r := h.json("PATCH", "/api/rooms/"+rm.ID, map[string]any{"starts_at": start.Format(time.RFC3339)}, &got, admin...); r.status != 200 || got.State != "scheduled" {
		t.Fatalf("set starts_at: %d %s", r.status, r.body)
	}

	// Live, then ended: WHIP is refused until the admin reopens the room.
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("go live while scheduled: %d %s", r.status, r.body)
	}
	if st := h.roomState(rm.ID); st != room.StateLive {
		t.Fatalf("state after publish: %s", st)
	}
	if r := h.do("POST", "/api/rooms/"+rm.ID+"/end", "", admin...); r.status != 200 {
		t.Fatalf("end: %d %s", r.status, r.body)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status < 400 {
		t.Fatalf("publish into an ended room: %d %s", r.status, r.body)
	}
	if r := h.json("POST", "/api/rooms/"+rm.ID+"/reopen", nil, &got, admin...); r.status != 200 || got.State != "scheduled" {
		t.Fatalf("reopen: %d %s", r.status, r.body)
	}
	if st := h.roomState(rm.ID); st != room.StateIdle {
		t.Fatalf("stored state after reopen: %s", st)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("go live after reopen: %d %s", r.status, r.body)
	}

	// Clone: a new room with the same title and cover, its own push key.
	var cl scheduledRoom
	r = h.json("POST", "/api/rooms/"+rm.ID+"/clone", map[string]any{"id": "friday-2", "starts_at": start.Add(7 * 24 * time.Hour).Format(time.RFC3339)}, &cl, admin...)
	if r.status != http.StatusCreated || cl.ID != "friday-2" || cl.Title != "Friday show" || cl.CoverURL != rm.CoverURL ||
		cl.State != "scheduled" || cl.ClonedFrom != rm.ID || cl.PushKey == "" || cl.PushKey == rm.PushKey {
		t.Fatalf("clone: %d %s", r.status, r.body)
	}
	if r := h.json("POST", "/api/rooms/"+rm.ID+"/clone", map[string]any{"id": "friday-2"}, nil, admin...); r.status != http.StatusConflict || r.code() != "room_exists" {
		t.Fatalf("clone onto a taken id: %d %s", r.status, r.body)
	}
	if r := h.publish(cl.ID, cl.PushKey); r.status != http.StatusCreated {
		t.Fatalf("go live in the clone: %d %s", r.status, r.body)
	}
}
