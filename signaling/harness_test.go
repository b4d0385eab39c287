package signaling_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/room"
)

// testOffer is a minimal bundled audio+video offer.
const testOffer = "v=0\r\n" +
	"o=- 4215775240449105457 2 IN IP4 127.0.0.1\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=group:BUNDLE 0 1\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:0\r\n" +
	"a=ice-ufrag:EsAw\r\n" +
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n" +
	"a=setup:actpass\r\n" +
	"a=sendonly\r\n" +
	"a=rtpmap:111 opus/48000/2\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=mid:1\r\n" +
	"a=ice-ufrag:EsAw\r\n" +
	"a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\n" +
	"a=sendonly\r\n" +
	"a=rtpmap:96 VP8/90000\r\n"

const (
	testAdmin = "admin-token-for-tests"
	testICE   = "stun:stun.example.net:3478,turn:alice:s3cret@turn.example.net:3478?transport=udp"
)

type harness struct {
	t      testing.TB
	app    *fiber.App
	svc    *signaling.Service
	eng    *fakeEngine
	events *fakeEvents
	rooms  *room.Store
	users  *auth.Verifier
	reg    *prometheus.Registry
}

func newHarness(t testing.TB, mod func(*signaling.Options)) *harness {
	t.Helper()
	b := testenv.Backends(t, testenv.Embedded)
	rooms, err := room.NewStore(context.Background(), b.SQL)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, eng: newFakeEngine(), events: newFakeEvents(), rooms: rooms,
		users: auth.NewVerifier([]byte("jwt-secret-for-tests-0123456789"), ""), reg: prometheus.NewRegistry()}
	opts := signaling.Options{
		Engine: h.eng, Rooms: rooms, Keys: rooms, Auth: auth.New(auth.Options{AdminToken: testAdmin, Users: h.users, PushKeys: rooms}), Events: h.events,
		ICEServers: strings.Split(testICE, ","), MaxBodyBytes: 4096, Logger: testenv.Logger(t), Metrics: h.reg,
		KeyCheckInterval: 50 * time.Millisecond,
		// The tests' candidates are on 127.0.0.1, as with ICE on lo.
		Candidates: signaling.CandidatePolicy{AllowLoopback: true},
	}
	if mod != nil {
		mod(&opts)
	}
	h.svc, err = signaling.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.svc.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	// The same middleware the server installs in front of every capability.
	h.app = fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t)), BodyLimit: 1 << 20})
	h.app.Use(auth.ClientAddrs(nil))
	h.app.Use(cors.New(cors.Config{
		AllowOrigins:  "*",
		AllowMethods:  "GET,POST,PATCH,PUT,DELETE,OPTIONS,HEAD",
		AllowHeaders:  "Authorization,Content-Type,If-Match,Idempotency-Key",
		ExposeHeaders: "Location,ETag,Link,Accept-Patch,Retry-After,Content-Type",
	}))
	h.svc.Mount(h.app)
	return h
}

type response struct {
	status int
	header http.Header
	body   string
}

// code is the error code of a JSON error body ("" if none).
func (r response) code() string {
	var doc apierr.Body
	if json.Unmarshal([]byte(r.body), &doc) != nil {
		return ""
	}
	return doc.Error.Code
}

// do sends a request; headers are name, value pairs.
func (h *harness) do(method, path, body string, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.app.Test(req, -1)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (h *harness) json(method, path string, body any, v any, headers ...string) response {
	h.t.Helper()
	raw := ""
	if body != nil {
		b, _ := json.Marshal(body)
		raw = string(b)
	}
	r := h.do(method, path, raw, append([]string{"Content-Type", "application/json"}, headers...)...)
	if v != nil && r.status < 300 {
		if err := json.Unmarshal([]byte(r.body), v); err != nil {
			h.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
	return r
}

type createdRoom struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	State     string `json:"state"`
	Private   bool   `json:"private"`
	PushKey   string `json:"push_key"`
	PushKeyID string `json:"push_key_id"`
	WHIPURL   string `json:"whip_url"`
	WHEPURL   string `json:"whep_url"`
}

func (h *harness) createRoom(private bool) createdRoom {
	h.t.Helper()
	var c createdRoom
	r := h.json("POST", "/api/rooms", map[string]any{"title": "Test room", "private": private}, &c, "Authorization", "Bearer "+testAdmin)
	if r.status != http.StatusCreated {
		h.t.Fatalf("create room: %d %s", r.status, r.body)
	}
	return c
}

// publish POSTs the test offer to the WHIP endpoint of room with key.
func (h *harness) publish(roomID, key string) response {
	h.t.Helper()
	return h.do("POST", "/whip/"+roomID, testOffer, "Content-Type", "application/sdp", "Authorization", "Bearer "+key)
}

// play POSTs the test offer to the WHEP endpoint; extra headers follow.
func (h *harness) play(path string, headers ...string) response {
	h.t.Helper()
	return h.do("POST", path, testOffer, append([]string{"Content-Type", "application/sdp"}, headers...)...)
}

func (h *harness) roomState(id string) room.State {
	h.t.Helper()
	r, err := h.rooms.Get(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return r.State
}
