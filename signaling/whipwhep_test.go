package signaling_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/goleak"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/room"
)

func TestWHIPStatuses(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	busy := h.createRoom(false)
	if r := h.publish(busy.ID, busy.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish busy room: %d %s", r.status, r.body)
	}
	revoked := h.createRoom(false)
	if r := h.do("DELETE", "/api/rooms/"+revoked.ID+"/keys/"+revoked.PushKeyID, "", "Authorization", "Bearer "+testAdmin); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	ended := h.createRoom(false)
	if r := h.do("POST", "/api/rooms/"+ended.ID+"/end", "", "Authorization", "Bearer "+testAdmin); r.status != http.StatusOK {
		t.Fatalf("end: %d %s", r.status, r.body)
	}
	big := strings.Repeat("a", 5000)

	tests := []struct {
		name       string
		room       string
		body       string
		headers    []string
		engineErr  error
		status     int
		code       string
		retryAfter string
	}{
		{"no key", rm.ID, testOffer, []string{"Content-Type", "application/sdp"}, nil, 401, "missing_token", ""},
		{"bad key", rm.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer lsk_nope"}, nil, 401, "invalid_push_key", ""},
		{"key of another room", rm.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + busy.PushKey}, nil, 401, "invalid_push_key", ""},
		{"revoked key", revoked.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + revoked.PushKey}, nil, 401, "push_key_revoked", ""},
		{"admin token is not a push key", rm.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + testAdmin}, nil, 403, "push_key_required", ""},
		{"unknown room", "nosuchroom", testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, nil, 404, "room_not_found", ""},
		{"invalid room id", "a%20b", testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, nil, 404, "room_not_found", ""},
		{"wrong content type", rm.ID, testOffer, []string{"Content-Type", "text/plain", "Authorization", "Bearer " + rm.PushKey}, nil, 415, "unsupported_media_type", ""},
		{"no content type", rm.ID, testOffer, []string{"Authorization", "Bearer " + rm.PushKey}, nil, 415, "unsupported_media_type", ""},
		{"oversized", rm.ID, big, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, nil, 413, "body_too_large", ""},
		{"malformed sdp", rm.ID, "hello", []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, nil, 400, "invalid_sdp", ""},
		{"empty body", rm.ID, "", []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, nil, 400, "invalid_sdp", ""},
		{"no mid", rm.ID, strings.ReplaceAll(testOffer, "a=mid:", "a=xmid:"), []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, nil, 400, "invalid_sdp", ""},
		{"unsupported media", rm.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, sfu.ErrUnsupportedMedia, 422, "unsupported_media", ""},
		{"engine rejects offer", rm.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, sfu.ErrInvalidOffer, 400, "invalid_sdp", ""},
		{"node full", rm.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + rm.PushKey}, sfu.ErrCapacity, 503, "capacity", "5"},
		{"room busy", busy.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + busy.PushKey}, nil, 409, "room_busy", ""},
		{"room ended", ended.ID, testOffer, []string{"Content-Type", "application/sdp", "Authorization", "Bearer " + ended.PushKey}, nil, 409, "room_ended", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.eng.setPublishErr(tt.engineErr)
			defer h.eng.setPublishErr(nil)
			r := h.do("POST", "/whip/"+tt.room, tt.body, tt.headers...)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
		})
	}
	if st := h.roomState(rm.ID); st != room.StateIdle {
		t.Fatalf("state after failed publishes = %s, want idle", st)
	}
}

func TestWHIPCreatedAndLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	r := h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/whip/"+rm.ID+"/") || len(loc) < len("/whip/"+rm.ID+"/")+32 {
		t.Fatalf("Location = %q", loc)
	}
	if r.header.Get("Content-Type") != "application/sdp" || r.body != "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" {
		t.Fatalf("answer = %q %q", r.header.Get("Content-Type"), r.body)
	}
	etag := r.header.Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Fatalf("ETag = %q, want a strong entity-tag", etag)
	}
	if got := r.header.Get("Accept-Patch"); got != "application/trickle-ice-sdpfrag" {
		t.Fatalf("Accept-Patch = %q", got)
	}
	links := r.header.Values("Link")
	want := []string{
		`<stun:stun.example.net:3478>; rel="ice-server"`,
		`<turn:turn.example.net:3478?transport=udp>; rel="ice-server"; username="alice"; credential="s3cret"; credential-type="password"`,
	}
	if strings.Join(links, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Link = %q, want %q", links, want)
	}
	if st := h.roomState(rm.ID); st != room.StateLive {
		t.Fatalf("state = %s, want live", st)
	}

	// GET and HEAD on the session answer 204 with no content.
	for _, m := range []string{"GET", "HEAD"} {
		g := h.do(m, loc, "", "Authorization", "Bearer "+rm.PushKey)
		if g.status != http.StatusNoContent || g.body != "" || g.header.Get("ETag") != etag {
			t.Fatalf("%s session = %d %q etag %q", m, g.status, g.body, g.header.Get("ETag"))
		}
	}
	// The session resource needs the push key too.
	if d := h.do("DELETE", loc, ""); d.status != http.StatusUnauthorized {
		t.Fatalf("DELETE without key = %d %s", d.status, d.body)
	}
	if d := h.do("DELETE", loc, "", "Authorization", "Bearer lsk_wrong"); d.status != http.StatusUnauthorized {
		t.Fatalf("DELETE with wrong key = %d %s", d.status, d.body)
	}
	if d := h.do("DELETE", loc, "", "Authorization", "Bearer "+rm.PushKey); d.status != http.StatusOK {
		t.Fatalf("DELETE = %d %s", d.status, d.body)
	}
	if d := h.do("DELETE", loc, "", "Authorization", "Bearer "+rm.PushKey); d.status != http.StatusNotFound || d.code() != "session_not_found" {
		t.Fatalf("DELETE again = %d %s", d.status, d.body)
	}
	testenv.Eventually(t, 2*time.Second, func() bool { return h.roomState(rm.ID) == room.StatePaused }, "room not paused after the publisher left")
	// A new publish resumes the live.
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("republish: %d %s", r.status, r.body)
	}
	if st := h.roomState(rm.ID); st != room.StateLive {
		t.Fatalf("state after republish = %s", st)
	}
	h.events.mu.Lock()
	log := strings.Join(h.events.liveLog, ",")
	h.events.mu.Unlock()
	if log != rm.ID+"=true,"+rm.ID+"=false,"+rm.ID+"=true" {
		t.Fatalf("RoomLive calls = %s", log)
	}
}

func TestWHEPStatuses(t *testing.T) {
	h := newHarness(t, nil)
	pub := h.createRoom(false)
	priv := h.createRoom(true)
	idle := h.createRoom(false)
	for _, rm := range []createdRoom{pub, priv} {
		if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
			t.Fatalf("publish: %d %s", r.status, r.body)
		}
	}
	mint := func(userID string, rooms ...string) string {
		tok, _, err := h.users.Mint(userID, "", time.Hour, rooms...)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint("u1", priv.ID)
	other := mint("u2", pub.ID)
	unscoped := mint("u3")

	tests := []struct {
		name       string
		path       string
		headers    []string
		status     int
		code       string
		retryAfter string
	}{
		{"public anonymous", "/whep/" + pub.ID, nil, 201, "", ""},
		{"public with token", "/whep/" + pub.ID, []string{"Authorization", "Bearer " + other}, 201, "", ""},
		{"public with bad token", "/whep/" + pub.ID, []string{"Authorization", "Bearer junk"}, 401, "invalid_token", ""},
		{"layer query", "/whep/" + pub.ID + "?layer=h", nil, 201, "", ""},
		{"layer auto", "/whep/" + pub.ID + "?layer=auto", nil, 201, "", ""},
		{"bad layer", "/whep/" + pub.ID + "?layer=h%20igh", nil, 400, "invalid_layer", ""},
		{"private without token", "/whep/" + priv.ID, nil, 401, "missing_token", ""},
		{"private with token of another room", "/whep/" + priv.ID, []string{"Authorization", "Bearer " + other}, 403, "room_forbidden", ""},
		{"private with unscoped user token", "/whep/" + priv.ID, []string{"Authorization", "Bearer " + unscoped}, 403, "room_forbidden", ""},
		{"private with token", "/whep/" + priv.ID, []string{"Authorization", "Bearer " + good}, 201, "", ""},
		{"private with the token in the URL", "/whep/" + priv.ID + "?token=" + good, nil, 400, "credential_in_query", ""},
		{"private with something else in ?token=", "/whep/" + priv.ID + "?token=junk", nil, 401, "missing_token", ""},
		{"not live", "/whep/" + idle.ID, nil, 409, "not_live", "2"},
		{"unknown room", "/whep/nosuch", nil, 404, "room_not_found", ""},
		{"wrong content type", "/whep/" + pub.ID, []string{"Content-Type", "application/json"}, 415, "unsupported_media_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.play(tt.path, tt.headers...)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if tt.status == 201 && !strings.HasPrefix(r.header.Get("Location"), "/whep/") {
				t.Fatalf("Location = %q", r.header.Get("Location"))
			}
		})
	}
	big := h.do("POST", "/whep/"+pub.ID, strings.Repeat("x", 5000), "Content-Type", "application/sdp")
	if big.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized WHEP offer = %d %s", big.status, big.body)
	}
	// Discovery: HEAD and GET on the endpoint answer as on WHIP (#11.25):
	// 200, the offer type accepted, and its content type.
	for _, m := range []string{"HEAD", "GET"} {
		if r := h.do(m, "/whep/"+pub.ID, ""); r.status != http.StatusOK || r.body != "" || r.header.Get("Accept-Post") != "application/sdp" || r.header.Get("Content-Type") != "application/sdp" {
			t.Fatalf("%s endpoint = %d %q %v", m, r.status, r.body, r.header)
		}
		if r := h.do(m, "/whep/nosuch", ""); r.status != http.StatusNotFound {
			t.Fatalf("%s unknown endpoint = %d", m, r.status)
		}
	}
}

func TestWHEPSessionAndEvents(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(true)
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	tok, _, _ := h.users.Mint("u1", "", time.Hour, rm.ID)
	tok2, _, _ := h.users.Mint("u2", "", time.Hour, rm.ID)
	r := h.play("/whep/"+rm.ID+"?layer=q", "Authorization", "Bearer "+tok)
	if r.status != http.StatusCreated {
		t.Fatalf("play: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if j, _ := h.events.counts(rm.ID); j != 1 {
		t.Fatalf("ViewerJoined calls = %d", j)
	}
	sess := h.eng.sessions[len(h.eng.sessions)-1]
	if l, _ := sess.layer.Load().(string); l != "q" {
		t.Fatalf("subscribe layer = %q", l)
	}

	layer := func(body string, headers ...string) response {
		return h.do("PATCH", loc+"/layer", body, append([]string{"Content-Type", "application/json", "Authorization", "Bearer " + tok}, headers...)...)
	}
	for _, tt := range []struct {
		name, body string
		headers    []string
		status     int
		want       string
	}{
		{"switch", `{"layer":"h"}`, nil, 200, "h"},
		{"auto", `{"layer":"auto"}`, nil, 200, ""},
		{"unknown to the publisher", `{"layer":"zz"}`, nil, 422, ""},
		{"malformed", `{"layer":`, nil, 400, ""},
		{"unknown field", `{"layer":"h","x":1}`, nil, 400, ""},
		{"bad name", `{"layer":"a b"}`, nil, 400, ""},
		{"wrong content type", `{"layer":"h"}`, []string{"Content-Type", "text/plain"}, 415, ""},
		{"another viewer", `{"layer":"h"}`, []string{"Authorization", "Bearer " + tok2}, 403, ""},
	} {
		t.Run("layer "+tt.name, func(t *testing.T) {
			r := layer(tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.status == 200 {
				if l, _ := sess.layer.Load().(string); l != tt.want {
					t.Fatalf("engine layer = %q, want %q", l, tt.want)
				}
			}
		})
	}
	if d := h.do("DELETE", loc, ""); d.status != http.StatusUnauthorized {
		t.Fatalf("DELETE without token = %d", d.status)
	}
	if d := h.do("DELETE", loc, "", "Authorization", "Bearer "+tok2); d.status != http.StatusForbidden {
		t.Fatalf("DELETE by another viewer = %d", d.status)
	}
	if d := h.do("DELETE", loc+"?token="+tok, ""); d.status != http.StatusBadRequest {
		t.Fatalf("DELETE with the token in the URL = %d %s, want 400", d.status, d.body)
	}
	if d := h.do("DELETE", loc, "", "Authorization", "Bearer "+tok); d.status != http.StatusOK {
		t.Fatalf("DELETE = %d %s", d.status, d.body)
	}
	testenv.Eventually(t, 2*time.Second, func() bool { _, l := h.events.counts(rm.ID); return l == 1 }, "left() not called")
	time.Sleep(50 * time.Millisecond)
	if j, l := h.events.counts(rm.ID); j != 1 || l != 1 {
		t.Fatalf("joined/left = %d/%d, want 1/1", j, l)
	}
}

// frag is a trickle-ice-sdpfrag with the test offer's credentials.
const trickle = "a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\na=end-of-candidates\r\n"

const restart = "a=ice-ufrag:NewU\r\na=ice-pwd:newpasswordnewpassword99\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50001 typ host\r\n"

func TestSessionPatch(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	r := h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	loc, etag := r.header.Get("Location"), r.header.Get("ETag")
	sess := h.eng.sessions[len(h.eng.sessions)-1]
	key := "Bearer " + rm.PushKey
	patch := func(body string, headers ...string) response {
		return h.do("PATCH", loc, body, append([]string{"Content-Type", "application/trickle-ice-sdpfrag", "Authorization", key}, headers...)...)
	}

	for _, tt := range []struct {
		name    string
		body    string
		headers []string
		status  int
		code    string
	}{
		{"no If-Match", trickle, nil, 428, "if_match_required"},
		{"stale ETag", trickle, []string{"If-Match", `"stale"`}, 412, "etag_mismatch"},
		{"weak ETag", trickle, []string{"If-Match", "W/" + etag}, 412, "etag_mismatch"},
		{"wrong content type", trickle, []string{"If-Match", etag, "Content-Type", "application/sdp"}, 415, "unsupported_media_type"},
		{"malformed", "x=1\r\n", []string{"If-Match", etag}, 400, "invalid_sdpfrag"},
		{"bad candidate", "a=candidate:garbage\r\n", []string{"If-Match", etag}, 400, "invalid_sdpfrag"},
		{"unknown mid", "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:7\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n", []string{"If-Match", etag}, 422, "unknown_mid"},
		{"oversized", strings.Repeat("a=x\r\n", 1000), []string{"If-Match", etag}, 413, "body_too_large"},
		{"trickle with ETag", trickle, []string{"If-Match", etag}, 204, ""},
		{"trickle with *", trickle, []string{"If-Match", "*"}, 204, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := patch(tt.body, tt.headers...)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	// Two trickles, each with a candidate and end-of-candidates.
	if n := sess.candidateCount(); n != 4 {
		t.Fatalf("engine got %d candidates, want 4", n)
	}

	// ICE restart: 200, the server's fragment, a new ETag.
	rs := patch(restart, "If-Match", etag)
	if rs.status != http.StatusOK || rs.header.Get("Content-Type") != "application/trickle-ice-sdpfrag" {
		t.Fatalf("restart = %d %q %s", rs.status, rs.header.Get("Content-Type"), rs.body)
	}
	newTag := rs.header.Get("ETag")
	if newTag == "" || newTag == etag {
		t.Fatalf("ETag after restart = %q (was %q)", newTag, etag)
	}
	f, err := signaling.ParseFragment([]byte(rs.body))
	if err != nil || f.Ufrag != "srv1ufrag" || f.Pwd == "" || len(f.Candidates) != 1 || f.Candidates[0].Mid != "0" || !f.EndOfCandidates {
		t.Fatalf("restart fragment %q: %+v %v", rs.body, f, err)
	}
	if g := h.do("GET", loc, "", "Authorization", key); g.header.Get("ETag") != newTag {
		t.Fatalf("GET ETag = %q, want %q", g.header.Get("ETag"), newTag)
	}
	// The old ETag is stale now; the same credentials again are a trickle.
	if r := patch(restart, "If-Match", etag); r.status != http.StatusPreconditionFailed {
		t.Fatalf("PATCH with the old ETag = %d", r.status)
	}
	if r := patch(restart, "If-Match", newTag); r.status != http.StatusNoContent {
		t.Fatalf("trickle after restart = %d %s", r.status, r.body)
	}
	// A restart with "*" is allowed too.
	if r := patch(strings.ReplaceAll(restart, "NewU", "NewV"), "If-Match", "*"); r.status != http.StatusOK || r.header.Get("ETag") == newTag {
		t.Fatalf("restart with * = %d %s", r.status, r.body)
	}
	// Unknown session.
	if r := h.do("PATCH", "/whip/"+rm.ID+"/nosuch", trickle, "Content-Type", "application/trickle-ice-sdpfrag", "If-Match", "*", "Authorization", key); r.status != http.StatusNotFound {
		t.Fatalf("PATCH unknown session = %d", r.status)
	}
	// A session of another kind or room is not found either.
	if r := h.do("GET", strings.Replace(loc, "/whip/", "/whep/", 1), ""); r.status != http.StatusNotFound {
		t.Fatalf("WHIP session under /whep = %d", r.status)
	}
}

func TestCORSAndOptions(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	r := h.publish(rm.ID, rm.PushKey)
	loc := r.header.Get("Location")
	for _, path := range []string{"/whip/" + rm.ID, "/whep/" + rm.ID, loc} {
		pre := h.do("OPTIONS", path, "", "Origin", "https://studio.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type,if-match")
		if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "PATCH") ||
			!strings.Contains(strings.ToLower(pre.header.Get("Access-Control-Allow-Headers")), "if-match") {
			t.Fatalf("preflight %s = %d %v", path, pre.status, pre.header)
		}
	}
	if o := h.do("OPTIONS", "/whip/"+rm.ID, ""); o.status != http.StatusNoContent || o.header.Get("Accept-Post") != "application/sdp" {
		t.Fatalf("OPTIONS endpoint = %d %v", o.status, o.header)
	}
	if o := h.do("OPTIONS", loc, ""); o.status != http.StatusNoContent || o.header.Get("Accept-Patch") != "application/trickle-ice-sdpfrag" {
		t.Fatalf("OPTIONS session = %d %v", o.status, o.header)
	}
	// A cross-origin POST sees the headers it needs.
	viewer := h.play("/whep/"+rm.ID, "Origin", "https://player.example")
	if viewer.status != http.StatusCreated || viewer.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(viewer.header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Fatalf("cross-origin WHEP = %d %v", viewer.status, viewer.header)
	}
}

func TestRevokedKeyEndsPublish(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	pub := h.eng.sessions[len(h.eng.sessions)-1]
	if r := h.play("/whep/" + rm.ID); r.status != http.StatusCreated {
		t.Fatalf("play: %d %s", r.status, r.body)
	}
	viewer := h.eng.sessions[len(h.eng.sessions)-1]

	var rev struct {
		RevokedAt       *time.Time `json:"revoked_at"`
		PublishersEnded int        `json:"publishers_ended"`
	}
	if r := h.json("DELETE", "/api/rooms/"+rm.ID+"/keys/"+rm.PushKeyID, nil, &rev, "Authorization", "Bearer "+testAdmin); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if rev.RevokedAt == nil || rev.PublishersEnded != 1 || !pub.closed() {
		t.Fatalf("revoke = %+v, publisher closed %v", rev, pub.closed())
	}
	if viewer.closed() {
		t.Fatal("the viewer was closed with the publisher")
	}
	testenv.Eventually(t, time.Second, func() bool { return h.roomState(rm.ID) == room.StatePaused }, "room not paused")

	// A revocation made elsewhere (straight in the store) is noticed by the key checker.
	var k struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	if r := h.json("POST", "/api/rooms/"+rm.ID+"/keys", nil, &k, "Authorization", "Bearer "+testAdmin); r.status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	if r := h.publish(rm.ID, k.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish with new key: %d %s", r.status, r.body)
	}
	pub2 := h.eng.sessions[len(h.eng.sessions)-1]
	if _, err := h.rooms.RevokeKey(context.Background(), rm.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Second, pub2.closed, "publisher of a key revoked on another node still live")
}

func TestServiceOptionsChecked(t *testing.T) {
	if _, err := signaling.New(signaling.Options{}); err == nil {
		t.Fatal("New without engine succeeded")
	}
	h := newHarness(t, nil)
	for _, bad := range []string{"http://x", "stun:user:pw@host", "turn:", "turn:a b"} {
		_, err := signaling.New(signaling.Options{Engine: h.eng, Rooms: h.rooms, Keys: h.rooms, Auth: auth.New(auth.Options{AdminToken: "x", Users: h.users}), ICEServers: []string{bad}})
		if err == nil {
			t.Errorf("ICE server %q accepted", bad)
		}
	}

}

func TestRateLimits(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	// Failed push keys and viewer tokens from one client: after the burst,
	// 429 for the failures — and never for a correct key (#11.2), from the
	// very address that floods.
	limited := 0
	for i := 0; i < 25; i++ {
		if r := h.publish(rm.ID, "lsk_wrong"); r.status == http.StatusTooManyRequests && r.code() == "too_many_failures" && r.header.Get("Retry-After") != "" {
			limited++
		}
		h.play("/whep/"+rm.ID, "Authorization", "Bearer junk")
	}
	if limited < 10 {
		t.Fatalf("25 bad keys (and 25 bad tokens) got only %d answers of 429 too_many_failures", limited)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("good key while junk floods from the same address: %d %s", r.status, r.body)
	}

	// PATCH flood on one session.
	rm2 := h.createRoom(false)
	r := h.publish(rm2.ID, rm2.PushKey)
	loc := r.header.Get("Location")
	statuses := map[int]int{}
	for i := 0; i < 60; i++ {
		p := h.do("PATCH", loc, "a=end-of-candidates\r\n", "Content-Type", "application/trickle-ice-sdpfrag", "If-Match", "*", "Authorization", "Bearer "+rm2.PushKey)
		statuses[p.status]++
	}
	if statuses[http.StatusNoContent] < 40 || statuses[http.StatusTooManyRequests] == 0 {
		t.Fatalf("PATCH statuses = %v", statuses)
	}
}

func TestClosedServiceRefusesSessions(t *testing.T) {
	h := newHarness(t, nil)
	rm := h.createRoom(false)
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	pub := h.eng.sessions[0]
	if r := h.play("/whep/" + rm.ID); r.status != http.StatusCreated {
		t.Fatalf("play: %d %s", r.status, r.body)
	}
	if err := h.svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !pub.closed() || !h.eng.sessions[1].closed() {
		t.Fatal("Close left sessions open")
	}
	if j, l := h.events.counts(rm.ID); j != 1 || l != 1 {
		t.Fatalf("joined/left = %d/%d after Close", j, l)
	}
	if err := h.svc.Ready(context.Background()); err == nil {
		t.Fatal("closed service is ready")
	}
	r := h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusServiceUnavailable || r.code() != "shutting_down" || !h.eng.sessions[len(h.eng.sessions)-1].closed() {
		t.Fatalf("publish after Close = %d %s", r.status, r.body)
	}
}

func TestServiceStopsItsGoroutines(t *testing.T) {
	b := testenv.Backends(t, testenv.Embedded)
	rooms, err := room.NewStore(context.Background(), b.SQL)
	if err != nil {
		t.Fatal(err)
	}
	// fasthttp starts one process-wide date ticker on first use.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"))
	eng := newFakeEngine()
	svc, err := signaling.New(signaling.Options{Engine: eng, Rooms: rooms, Keys: rooms, Auth: auth.New(auth.Options{AdminToken: "a", Users: auth.NewVerifier([]byte("s"), ""), PushKeys: rooms}), KeyCheckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t))})
	svc.Mount(app)
	rm, _ := rooms.Create(context.Background(), room.NewRoom{Title: "leak"})
	_, key, _ := rooms.IssueKey(context.Background(), rm.ID)
	for _, req := range []*http.Request{
		withHeaders(httptest.NewRequest("POST", "/whip/"+rm.ID, strings.NewReader(testOffer)), "Content-Type", "application/sdp", "Authorization", "Bearer "+key),
		withHeaders(httptest.NewRequest("POST", "/whep/"+rm.ID, strings.NewReader(testOffer)), "Content-Type", "application/sdp"),
	} {
		resp, err := app.Test(req, -1)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s: %v %v", req.URL, resp, err)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the key checker run
	if err := svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := app.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

func withHeaders(r *http.Request, kv ...string) *http.Request {
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
	return r
}
