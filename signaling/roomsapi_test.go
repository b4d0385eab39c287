package signaling_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/room"
)

func TestRoomAPIAuth(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	for _, tt := range []struct {
		method, path, body string
	}{
		{"POST", "/api/rooms", `{"title":"x"}`},
		{"PATCH", "/api/rooms/" + rm.ID, `{"title":"x"}`},
		{"POST", "/api/rooms/" + rm.ID + "/keys", ``},
		{"GET", "/api/rooms/" + rm.ID + "/keys", ``},
		{"POST", "/api/rooms/" + rm.ID + "/keys/" + rm.PushKeyID + "/rotate", ``},
		{"DELETE", "/api/rooms/" + rm.ID + "/keys/" + rm.PushKeyID, ``},
		{"POST", "/api/rooms/" + rm.ID + "/viewer-tokens", `{"user_id":"u"}`},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if r := h.do(tt.method, tt.path, tt.body, "Content-Type", "application/json"); r.status != http.StatusUnauthorized || r.code() != "missing_token" {
				t.Fatalf("no token: %d %s", r.status, r.body)
			}
			if r := h.do(tt.method, tt.path, tt.body, "Content-Type", "application/json", "Authorization", "Bearer "+rm.PushKey); r.status != http.StatusForbidden || r.code() != "admin_only" {
				t.Fatalf("push key as admin token: %d %s", r.status, r.body)
			}
		})
	}
	if st := h.roomState(rm.ID); st != room.StateIdle {
		t.Fatalf("state changed by unauthenticated calls: %s", st)
	}
}

// TestOnlyAdminEndsLive is #11.15: ending a room for good takes the admin
// token; a push key — even the room's own — is refused.
func TestOnlyAdminEndsLive(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	other := h.createRoom(false)
	end := "/api/rooms/" + rm.ID + "/end"
	if r := h.do("POST", end, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	for name, key := range map[string]string{"another room's push key": other.PushKey, "the room's own push key": rm.PushKey} {
		if r := h.do("POST", end, "", "Authorization", "Bearer "+key); r.status != http.StatusForbidden || r.code() != "admin_only" {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	if st := h.roomState(rm.ID); st != room.StateIdle {
		t.Fatalf("state changed by refused calls: %s", st)
	}
	if r := h.do("POST", end, "", "Authorization", "Bearer "+testAdmin); r.status != http.StatusOK {
		t.Fatalf("the admin token: %d %s", r.status, r.body)
	}
	if st := h.roomState(rm.ID); st != room.StateEnded {
		t.Fatalf("state after the anchor ended the live: %s", st)
	}
}

func TestRoomAPI(t *testing.T) {
	h := newHarness(t, func(o *signaling.Options) { o.PublicURL = "https://live.example.com/" })
	admin := []string{"Authorization", "Bearer " + testAdmin}

	var created createdRoom
	r := h.json("POST", "/api/rooms", map[string]any{"id": "spring-sale", "title": "Spring sale"}, &created, admin...)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if created.ID != "spring-sale" || created.State != "idle" || created.PushKey == "" || created.PushKeyID == "" ||
		created.WHIPURL != "https://live.example.com/whip/spring-sale" || created.WHEPURL != "https://live.example.com/whep/spring-sale" {
		t.Fatalf("created = %+v", created)
	}
	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"duplicate id", `{"id":"spring-sale","title":"again"}`, 409, "room_exists"},
		{"no title", `{}`, 400, "invalid_request"},
		{"unknown field", `{"title":"x","color":"red"}`, 400, "invalid_json"},
		{"malformed", `{"title":`, 400, "invalid_json"},
		{"bad id", `{"id":"a b","title":"x"}`, 400, "invalid_room_id"},
	} {
		t.Run("create "+tt.name, func(t *testing.T) {
			r := h.do("POST", "/api/rooms", tt.body, append([]string{"Content-Type", "application/json"}, admin...)...)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	var priv createdRoom
	h.json("POST", "/api/rooms", map[string]any{"title": "VIP", "private": true}, &priv, admin...)

	// Anyone may read a room's public fields; the WHIP URL is for the operator.
	var got map[string]any
	if r := h.json("GET", "/api/rooms/spring-sale", nil, &got); r.status != 200 || got["title"] != "Spring sale" || got["state"] != "idle" || got["whip_url"] != nil || got["push_key"] != nil {
		t.Fatalf("public GET = %d %v", r.status, got)
	}
	if r := h.json("GET", "/api/rooms/spring-sale", nil, &got, admin...); got["whip_url"] != "https://live.example.com/whip/spring-sale" {
		t.Fatalf("operator GET = %d %v", r.status, got)
	}
	if r := h.do("GET", "/api/rooms/nosuch", ""); r.status != 404 || r.code() != "room_not_found" {
		t.Fatalf("GET unknown = %d %s", r.status, r.body)
	}
	var list struct {
		Rooms []map[string]any `json:"rooms"`
	}
	if h.json("GET", "/api/rooms", nil, &list); len(list.Rooms) != 1 {
		t.Fatalf("public list = %v", list.Rooms)
	}
	if h.json("GET", "/api/rooms?limit=10", nil, &list, admin...); len(list.Rooms) != 2 {
		t.Fatalf("operator list = %v", list.Rooms)
	}
	if r := h.do("GET", "/api/rooms?limit=0", ""); r.status != 400 || r.code() != "invalid_request" {
		t.Fatalf("bad limit = %d %s", r.status, r.body)
	}

	// PATCH.
	if r := h.json("PATCH", "/api/rooms/spring-sale", map[string]any{"title": "Summer sale", "anonymous_chat": true}, &got, admin...); r.status != 200 || got["title"] != "Summer sale" || got["anonymous_chat"] != true {
		t.Fatalf("patch = %d %v", r.status, got)
	}
	if r := h.json("PATCH", "/api/rooms/spring-sale", map[string]any{}, nil, admin...); r.status != 400 {
		t.Fatalf("empty patch = %d", r.status)
	}
	if r := h.json("PATCH", "/api/rooms/nosuch", map[string]any{"title": "x"}, nil, admin...); r.status != 404 {
		t.Fatalf("patch unknown = %d", r.status)
	}

	// Keys: issue, list, rotate (old stops working), revoke.
	var k2 struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	if r := h.json("POST", "/api/rooms/spring-sale/keys", nil, &k2, admin...); r.status != 201 || k2.PushKey == "" {
		t.Fatalf("issue = %d %s", r.status, r.body)
	}
	var keys struct {
		Keys []struct {
			ID        string     `json:"id"`
			RevokedAt *time.Time `json:"revoked_at"`
			PushKey   string     `json:"push_key"`
		} `json:"keys"`
	}
	if r := h.json("GET", "/api/rooms/spring-sale/keys", nil, &keys, admin...); r.status != 200 || len(keys.Keys) != 2 || keys.Keys[0].PushKey != "" || strings.Contains(r.body, created.PushKey) {
		t.Fatalf("list keys = %d %s", r.status, r.body)
	}
	if r := h.publish("spring-sale", created.PushKey); r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	pub := h.eng.sessions[len(h.eng.sessions)-1]
	var rot struct {
		ID              string `json:"id"`
		PushKey         string `json:"push_key"`
		RevokedKeyID    string `json:"revoked_key_id"`
		PublishersEnded int    `json:"publishers_ended"`
	}
	if r := h.json("POST", "/api/rooms/spring-sale/keys/"+created.PushKeyID+"/rotate", nil, &rot, admin...); r.status != 201 || rot.PushKey == "" || rot.RevokedKeyID != created.PushKeyID || rot.PublishersEnded != 1 {
		t.Fatalf("rotate = %d %s", r.status, r.body)
	}
	if !pub.closed() {
		t.Fatal("rotation left the old key's publisher live")
	}
	if r := h.publish("spring-sale", created.PushKey); r.status != 401 || r.code() != "push_key_revoked" {
		t.Fatalf("publish with rotated key = %d %s", r.status, r.body)
	}
	if r := h.publish("spring-sale", rot.PushKey); r.status != 201 || !strings.HasPrefix(r.header.Get("Location"), "https://live.example.com/whip/spring-sale/") {
		t.Fatalf("publish with new key = %d %s, Location %q", r.status, r.body, r.header.Get("Location"))
	}
	if r := h.do("DELETE", "/api/rooms/spring-sale/keys/knope", "", admin...); r.status != 404 {
		t.Fatalf("revoke unknown key = %d", r.status)
	}
	if r := h.do("DELETE", "/api/rooms/"+priv.ID+"/keys/"+k2.ID, "", admin...); r.status != 404 {
		t.Fatalf("revoke key through another room = %d", r.status)
	}
	if r := h.do("POST", "/api/rooms/spring-sale/keys/knope/rotate", "", admin...); r.status != 404 {
		t.Fatalf("rotate unknown key = %d", r.status)
	}

	// Viewer tokens admit their room only.
	var vt struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		Room      string `json:"room"`
		WHEPURL   string `json:"whep_url"`
	}
	if r := h.json("POST", "/api/rooms/"+priv.ID+"/viewer-tokens", map[string]any{"user_id": "u-42", "name": "Ann", "ttl_seconds": 600}, &vt, admin...); r.status != 201 || vt.Room != priv.ID {
		t.Fatalf("viewer token = %d %s", r.status, r.body)
	}
	id, err := h.users.Verify(context.Background(), vt.Token)
	if err != nil || id.UserID != "u-42" || id.Name != "Ann" || !id.CanEnter(priv.ID) || id.CanEnter("spring-sale") {
		t.Fatalf("token identity = %+v, %v", id, err)
	}
	if exp, err := time.Parse(time.RFC3339, vt.ExpiresAt); err != nil || time.Until(exp) > 11*time.Minute || time.Until(exp) < 9*time.Minute {
		t.Fatalf("expires_at = %q", vt.ExpiresAt)
	}
	if r := h.json("POST", "/api/rooms/"+priv.ID+"/viewer-tokens", map[string]any{}, nil, admin...); r.status != 400 {
		t.Fatalf("viewer token without user = %d", r.status)
	}
	if r := h.json("POST", "/api/rooms/nosuch/viewer-tokens", map[string]any{"user_id": "u"}, nil, admin...); r.status != 404 {
		t.Fatalf("viewer token for unknown room = %d", r.status)
	}

	// End: sessions close, state ended, no more publishing or playing.
	if r := h.play("/whep/spring-sale"); r.status != 201 {
		t.Fatalf("play: %d %s", r.status, r.body)
	}
	viewer := h.eng.sessions[len(h.eng.sessions)-1]
	pub2 := h.eng.sessions[len(h.eng.sessions)-2]
	if r := h.json("POST", "/api/rooms/spring-sale/end", nil, &got, admin...); r.status != 200 || got["state"] != "ended" {
		t.Fatalf("end = %d %v", r.status, got)
	}
	if !pub2.closed() || !viewer.closed() {
		t.Fatalf("end left sessions open: publisher %v viewer %v", pub2.closed(), viewer.closed())
	}
	time.Sleep(50 * time.Millisecond)
	if st := h.roomState("spring-sale"); st != room.StateEnded {
		t.Fatalf("state after end = %s (the publisher leaving must not turn it to paused)", st)
	}
	if r := h.publish("spring-sale", rot.PushKey); r.status != 409 || r.code() != "room_ended" {
		t.Fatalf("publish after end = %d %s", r.status, r.body)
	}
}

// metric returns the value of the gauge or counter name whose labels
// include want (name=value pairs), and whether it exists.
func metric(t *testing.T, h *harness, name string, want ...string) (float64, bool) {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(want); i += 2 {
				if labels[want[i]] != want[i+1] {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	h.publish(rm.ID, rm.PushKey)
	h.play("/whep/" + rm.ID)
	h.play("/whep/" + rm.ID)
	h.publish(rm.ID, "lsk_bad")
	h.play("/whep/nosuch")
	h.do("HEAD", "/whep/"+rm.ID, "")
	h.do("OPTIONS", "/whip/"+rm.ID, "")

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"livesell_signaling_publishers", nil, 1},
		{"livesell_signaling_viewers", []string{"state", "live"}, 2},
		{"livesell_signaling_viewers", []string{"state", "waiting"}, 0},
		{"livesell_signaling_requests_total", []string{"resource", "whip", "method", "POST", "status", "201"}, 1},
		{"livesell_signaling_requests_total", []string{"resource", "whip", "method", "POST", "status", "401"}, 1},
		{"livesell_signaling_requests_total", []string{"resource", "whep", "method", "POST", "status", "201"}, 2},
		{"livesell_signaling_requests_total", []string{"resource", "whep", "method", "POST", "status", "404"}, 1},
		{"livesell_signaling_sessions_total", []string{"resource", "whep"}, 2},
		{"livesell_signaling_requests_total", []string{"resource", "whep", "method", "HEAD", "status", "200"}, 1},
		{"livesell_signaling_requests_total", []string{"resource", "whip", "method", "OPTIONS", "status", "204"}, 1},
	} {
		if got, ok := metric(t, h, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	var view struct {
		Live    bool `json:"live"`
		Viewers int  `json:"viewers"`
	}
	if h.json("GET", "/api/rooms/"+rm.ID, nil, &view); !view.Live || view.Viewers != 2 {
		t.Fatalf("room view = %+v, want live with 2 viewers", view)
	}
	var list struct {
		Rooms []struct {
			ID      string `json:"id"`
			Viewers int    `json:"viewers"`
		} `json:"rooms"`
	}
	if h.json("GET", "/api/rooms", nil, &list); len(list.Rooms) != 1 || list.Rooms[0].Viewers != 2 {
		t.Fatalf("list = %+v", list)
	}
	// The publisher leaves: its viewers are counted as waiting.
	h.eng.sessions[0].Close()
	if got, _ := metric(t, h, "livesell_signaling_viewers", "state", "waiting"); got != 2 {
		t.Fatalf("waiting viewers = %v, want 2", got)
	}
}
