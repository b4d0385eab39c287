package signaling_test

import (
	"net/http"
	"testing"
)

// TestCredentialsRefusedInQuery is #11.12 (server side): a push key or the
// admin token in a query string is refused with credential_in_query on
// WHIP, WHEP, their session resources and the REST API — query strings end
// up in proxy logs. A viewer JWT in the URL is refused the same way: tokens
// travel in the Authorization header only (a redirect to another node
// carries a playback grant of its own).
func TestCredentialsRefusedInQuery(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	pub := h.publish(rm.ID, rm.PushKey)
	if pub.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", pub.status, pub.body)
	}
	whipSession := pub.header.Get("Location")
	sdp := []string{"Content-Type", "application/sdp"}
	for _, tt := range []struct {
		name, method, path string
		headers            []string
	}{
		{"WHIP, push key as ?key=", "POST", "/whip/" + rm.ID + "?key=" + rm.PushKey, sdp},
		{"WHIP, push key as ?token= beside the header", "POST", "/whip/" + rm.ID + "?token=" + rm.PushKey, append([]string{"Authorization", "Bearer " + rm.PushKey}, sdp...)},
		{"WHEP, admin token as ?token=", "POST", "/whep/" + rm.ID + "?token=" + testAdmin, sdp},
		{"WHEP, push key as ?push_key=", "POST", "/whep/" + rm.ID + "?push_key=" + rm.PushKey, sdp},
		{"WHIP session, push key in the URL", "DELETE", whipSession + "?key=" + rm.PushKey, nil},
		{"REST, admin token as ?token=", "GET", "/api/rooms?token=" + testAdmin, nil},
		{"REST, admin token as ?access_token=", "POST", "/api/rooms/" + rm.ID + "/end?access_token=" + testAdmin, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == "POST" && len(tt.headers) > 0 {
				body = testOffer
			}
			r := h.do(tt.method, tt.path, body, tt.headers...)
			if r.status != http.StatusBadRequest || r.code() != "credential_in_query" {
				t.Fatalf("got %d %s, want 400 credential_in_query", r.status, r.body)
			}
		})
	}
	if st := h.roomState(rm.ID); st != "live" {
		t.Fatalf("room state after refused calls = %s, want live (the publisher must survive)", st)
	}
	viewer, _, _ := h.users.Mint("u1", "", 3600e9)
	if r := h.play("/whep/" + rm.ID + "?token=" + viewer); r.status != http.StatusBadRequest || r.code() != "credential_in_query" {
		t.Fatalf("WHEP with a viewer JWT in ?token= = %d %s, want 400 credential_in_query", r.status, r.body)
	}
	if r := h.play("/whep/" + rm.ID); r.status != http.StatusCreated {
		t.Fatalf("WHEP after the refusals = %d %s", r.status, r.body)
	}
}

// TestPrivateRoomsAreNotPublic is #11.16 (signaling side): a private room's
// title, state and viewer count (GET /api/rooms/{room}) and its WHEP/WHIP
// endpoints (HEAD) need a credential that admits the room.
func TestPrivateRoomsAreNotPublic(t *testing.T) {
	h := newHarness(t, nil)
	priv := h.createRoom(true)
	other := h.createRoom(true)
	scoped := jsonField(t, h.json("POST", "/api/rooms/"+priv.ID+"/viewer-tokens", map[string]any{"user_id": "u1"}, nil, "Authorization", "Bearer "+testAdmin).body, "token")
	otherScoped := jsonField(t, h.json("POST", "/api/rooms/"+other.ID+"/viewer-tokens", map[string]any{"user_id": "u1"}, nil, "Authorization", "Bearer "+testAdmin).body, "token")
	unscoped, _, _ := h.users.Mint("u2", "", 3600e9)
	for _, req := range [][2]string{{"GET", "/api/rooms/" + priv.ID}, {"GET", "/whep/" + priv.ID}, {"HEAD", "/whep/" + priv.ID}, {"HEAD", "/whip/" + priv.ID}} {
		method, path := req[0], req[1]
		for _, tt := range []struct {
			name   string
			bearer string
			status int
			code   string
		}{
			{"anonymous", "", 401, "missing_token"},
			{"unscoped user token", unscoped, 403, "room_forbidden"},
			{"token of another private room", otherScoped, 403, "room_forbidden"},
			{"junk", "junk", 401, "invalid_token"},
			{"viewer token of the room", scoped, 200, ""},
			{"push key of the room", priv.PushKey, 200, ""},
			{"admin", testAdmin, 200, ""},
		} {
			t.Run(method+" "+path+" "+tt.name, func(t *testing.T) {
				var hdr []string
				if tt.bearer != "" {
					hdr = []string{"Authorization", "Bearer " + tt.bearer}
				}
				r := h.do(method, path, "", hdr...)
				if r.status != tt.status || method != "HEAD" && r.code() != tt.code {
					t.Fatalf("got %d %s, want %d %q", r.status, r.body, tt.status, tt.code)
				}
				if tt.status != 200 && (r.header.Get("Livesell-Room-State") != "" || r.header.Get("Accept-Post") != "") {
					t.Fatalf("a refused request learned the room: %v", r.header)
				}
			})
		}
	}
}

// TestTricklePatchHasNoETag is #11.26: RFC 9725 §4.3.1 — a PATCH that only
// trickles candidates answers 204 without an ETag; an ICE restart answers
// 200 with the new one.
func TestTricklePatchHasNoETag(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	r := h.publish(rm.ID, rm.PushKey)
	loc, etag := r.header.Get("Location"), r.header.Get("ETag")
	patch := func(body, ifMatch string) response {
		return h.do("PATCH", loc, body, "Content-Type", "application/trickle-ice-sdpfrag", "Authorization", "Bearer "+rm.PushKey, "If-Match", ifMatch)
	}
	if p := patch(trickle, etag); p.status != http.StatusNoContent || p.header.Get("ETag") != "" {
		t.Fatalf("trickle-only PATCH = %d, ETag %q; want 204 without an ETag", p.status, p.header.Get("ETag"))
	}
	if p := patch(restart, etag); p.status != http.StatusOK || p.header.Get("ETag") == "" || p.header.Get("ETag") == etag {
		t.Fatalf("ICE restart PATCH = %d, ETag %q; want 200 with a new ETag", p.status, p.header.Get("ETag"))
	}
}
