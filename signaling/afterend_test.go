package signaling_test

import (
	"net/http"
	"testing"
)

type closingRoom struct {
	createdRoom
	SellAfterEnd bool   `json:"sell_after_end"`
	NextRoom     string `json:"next_room"`
}

// TestRoomAfterEndFields: PATCH sets sell_after_end and next_room, GET
// shows them to anyone, "" clears next_room, and bad values are refused.
func TestRoomAfterEndFields(t *testing.T) {
	h := newHarness(t, nil)
	admin := []string{"Authorization", "Bearer " + testAdmin}
	var rm closingRoom
	if r := h.json("POST", "/api/rooms", map[string]any{"title": "Monday show"}, &rm, admin...); r.status != http.StatusCreated ||
		rm.SellAfterEnd || rm.NextRoom != "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var got closingRoom
	if r := h.json("PATCH", "/api/rooms/"+rm.ID, map[string]any{"sell_after_end": true, "next_room": "tuesday-show"}, &got, admin...); r.status != http.StatusOK ||
		!got.SellAfterEnd || got.NextRoom != "tuesday-show" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	got = closingRoom{}
	if r := h.json("GET", "/api/rooms/"+rm.ID, nil, &got); r.status != http.StatusOK || !got.SellAfterEnd || got.NextRoom != "tuesday-show" {
		t.Fatalf("public GET: %d %s", r.status, r.body)
	}
	got = closingRoom{}
	if r := h.json("PATCH", "/api/rooms/"+rm.ID, map[string]any{"sell_after_end": false, "next_room": ""}, &got, admin...); r.status != http.StatusOK ||
		got.SellAfterEnd || got.NextRoom != "" {
		t.Fatalf("clear: %d %s", r.status, r.body)
	}

	for _, tt := range []struct {
		name   string
		body   map[string]any
		auth   bool
		status int
		code   string
	}{
		{"next_room with a dot", map[string]any{"next_room": "a.b"}, true, 400, "invalid_room"},
		{"next_room too long", map[string]any{"next_room": string(make([]byte, 65))}, true, 400, "invalid_room"},
		{"next_room not a string", map[string]any{"next_room": 7}, true, 400, "invalid_json"},
		{"sell_after_end not a bool", map[string]any{"sell_after_end": "yes"}, true, 400, "invalid_json"},
		{"no admin token", map[string]any{"sell_after_end": true}, false, 401, "missing_token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.auth {
				hdr = admin
			}
			r := h.json("PATCH", "/api/rooms/"+rm.ID, tt.body, nil, hdr...)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%d %s; want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
}
