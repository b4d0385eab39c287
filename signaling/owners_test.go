package signaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/claim"
)

const (
	selfURL  = "http://127.0.0.1:1111"
	otherURL = "https://node-b.example:8443"
)

// clusterHarness is a harness whose node claims rooms as selfURL in an
// embedded Redis, with a second node's Claims (otherURL) beside it.
type clusterHarness struct {
	*harness
	rdb   redis.UniversalClient
	ns    string
	self  *claim.Claims
	other *claim.Claims
}

func newClusterHarness(t testing.TB) *clusterHarness {
	return newClusterHarnessOn(t, testenv.Embedded)
}

// newClusterHarnessOn keeps the claims in the Redis of kind.
func newClusterHarnessOn(t testing.TB, kind testenv.Kind) *clusterHarness {
	t.Helper()
	b := testenv.Backends(t, kind)
	ns := testenv.Namespace(t)
	mk := func(url string) *claim.Claims {
		c, err := claim.New(claim.Options{Redis: b.Redis, Namespace: ns, PublicURL: url, Refresh: 20 * time.Millisecond, Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	ch := &clusterHarness{rdb: b.Redis, ns: ns}
	ch.self = mk(selfURL)
	ch.other = mk(otherURL)
	ch.harness = newHarness(t, func(o *signaling.Options) { o.Owners = ch.self })
	return ch
}

func (ch *clusterHarness) claimValue(room string) string {
	v, _ := ch.rdb.Get(context.Background(), claim.Key(ch.ns, room)).Result()
	return v
}

func TestWHEPRedirectsToTheOwningNode(t *testing.T) {
	h := newClusterHarness(t)
	pub, priv, ended := h.createRoom(false), h.createRoom(true), h.createRoom(false)
	ctx := context.Background()
	holds := map[string]claim.Hold{}
	for _, id := range []string{pub.ID, priv.ID, ended.ID} {
		hold, err := h.other.Claim(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		holds[id] = hold
	}
	if r := h.json("POST", "/api/rooms/"+ended.ID+"/end", nil, nil, "Authorization", "Bearer "+testAdmin); r.status != http.StatusOK {
		t.Fatalf("end room: %d %s", r.status, r.body)
	}
	viewerTok := h.json("POST", "/api/rooms/"+priv.ID+"/viewer-tokens", map[string]any{"user_id": "u1"}, nil, "Authorization", "Bearer "+testAdmin)
	tok := jsonField(t, viewerTok.body, "token")

	redirects := 0
	for _, tc := range []struct {
		name, method, path string
		headers            []string
		status             int
		location, code     string
	}{
		{"POST keeps the query", "POST", "/whep/" + pub.ID + "?layer=h&x=%20y", nil, 307, otherURL + "/whep/" + pub.ID + "?layer=h&x=%20y", ""},
		{"POST without query", "POST", "/whep/" + pub.ID, nil, 307, otherURL + "/whep/" + pub.ID, ""},
		{"HEAD", "HEAD", "/whep/" + pub.ID, nil, 307, otherURL + "/whep/" + pub.ID, ""},
		{"GET", "GET", "/whep/" + pub.ID, nil, 307, otherURL + "/whep/" + pub.ID, ""},
		{"WHIP endpoint is not redirected", "HEAD", "/whip/" + pub.ID, nil, 200, "", ""},
		{"private room: no token, no redirect", "POST", "/whep/" + priv.ID, nil, 401, "", "missing_token"},
		{"private room: bad token", "POST", "/whep/" + priv.ID, []string{"Authorization", "Bearer nope"}, 401, "", "invalid_token"},
		{"private room: viewer token, carried as a grant", "POST", "/whep/" + priv.ID, []string{"Authorization", "Bearer " + tok}, 307, otherURL + "/whep/" + priv.ID + "?grant=", ""},
		{"bad layer is refused here", "POST", "/whep/" + pub.ID + "?layer=%00", nil, 400, "", "invalid_layer"},
		{"ended room", "POST", "/whep/" + ended.ID, nil, 409, "", "room_ended"},
		{"unknown room", "POST", "/whep/nope", nil, 404, "", "room_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == "POST" {
				body = testOffer
			}
			r := h.do(tc.method, tc.path, body, append([]string{"Content-Type", "application/sdp", "Origin", "https://shop.example"}, tc.headers...)...)
			loc := r.header.Get("Location")
			if g, ok := strings.CutSuffix(tc.location, "?grant="); ok && strings.HasPrefix(loc, tc.location) && !strings.Contains(loc, tok) {
				loc = g + "?grant=" // the grant itself is checked in signaling/e2e and internal/auth
			}
			if r.status != tc.status || loc != tc.location || r.code() != tc.code {
				t.Fatalf("= %d %q %s; want %d %q %q", r.status, r.header.Get("Location"), r.body, tc.status, tc.location, tc.code)
			}
			if r.status == http.StatusTemporaryRedirect {
				redirects++
				if r.header.Get("Access-Control-Allow-Origin") == "" || r.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("redirect headers = %v", r.header)
				}
			}
		})
	}
	if got := metricSum(t, h.reg, "livesell_signaling_redirects_total"); int(got) != redirects {
		t.Fatalf("redirects_total = %v; want %d", got, redirects)
	}
	if len(h.eng.sessions) != 0 {
		t.Fatalf("the engine got %d sessions for rooms owned elsewhere", len(h.eng.sessions))
	}

	// Once the other node lets go, viewers are told to retry here; once this
	// node publishes, they are served here.
	if err := h.other.Release(ctx, pub.ID, holds[pub.ID]); err != nil {
		t.Fatal(err)
	}
	if r := h.play("/whep/" + pub.ID); r.status != http.StatusConflict || r.code() != "not_live" {
		t.Fatalf("WHEP of an unowned room = %d %s", r.status, r.body)
	}
	if r := h.publish(pub.ID, pub.PushKey); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if r := h.play("/whep/" + pub.ID); r.status != http.StatusCreated {
		t.Fatalf("WHEP at the owning node = %d %s", r.status, r.body)
	}
}

func TestWHIPTakesTheRoomClaim(t *testing.T) {
	h := newClusterHarness(t)
	rm := h.createRoom(false)
	ctx := context.Background()

	// Another node's publisher holds the room: 409 room_busy, nothing started.
	hold, err := h.other.Claim(ctx, rm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusConflict || r.code() != "room_busy" {
		t.Fatalf("WHIP while another node holds the room = %d %s", r.status, r.body)
	}
	if len(h.eng.sessions) != 0 {
		t.Fatal("the engine was asked to publish a room held elsewhere")
	}
	// Bad push keys are refused before the claim is even looked at.
	if r := h.publish(rm.ID, "lsk_wrong"); r.status != http.StatusUnauthorized {
		t.Fatalf("WHIP with a bad key = %d %s", r.status, r.body)
	}
	if err := h.other.Release(ctx, rm.ID, hold); err != nil {
		t.Fatal(err)
	}

	// An engine refusal leaves no claim behind.
	h.eng.setPublishErr(sfu.ErrCapacity)
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusServiceUnavailable {
		t.Fatalf("WHIP at capacity = %d %s", r.status, r.body)
	}
	if v := h.claimValue(rm.ID); v != "" || h.self.Holds(rm.ID) {
		t.Fatalf("claim after a refused publish = %q", v)
	}
	h.eng.setPublishErr(nil)

	// Publishing claims the room; a second publisher here is busy and does
	// not release the first one's claim; DELETE releases it.
	r := h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if v := h.claimValue(rm.ID); v != h.self.Self().String() {
		t.Fatalf("claim = %q; want this node's", v)
	}
	if r2 := h.publish(rm.ID, rm.PushKey); r2.status != http.StatusConflict || r2.code() != "room_busy" {
		t.Fatalf("second publisher = %d %s", r2.status, r2.body)
	}
	if v := h.claimValue(rm.ID); v != h.self.Self().String() {
		t.Fatalf("claim after a refused second publisher = %q", v)
	}
	if d := h.do("DELETE", r.header.Get("Location"), "", "Authorization", "Bearer "+rm.PushKey); d.status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", d.status, d.body)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { return h.claimValue(rm.ID) == "" }, "claim outlived the publisher")

	// If another node takes the claim (this one lost Redis for longer than
	// the TTL), the local publish ends: one publisher per room.
	r = h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusCreated {
		t.Fatalf("publish again: %d %s", r.status, r.body)
	}
	sess := h.eng.sessions[len(h.eng.sessions)-1]
	h.rdb.Set(ctx, claim.Key(h.ns, rm.ID), h.other.Self().String(), time.Minute)
	testenv.Eventually(t, 5*time.Second, sess.closed, "publisher kept after its claim was taken")
	if v := h.claimValue(rm.ID); v != h.other.Self().String() {
		t.Fatalf("the other node's claim was touched: %q", v)
	}
}

// brokenOwners is a RoomOwners whose store is down.
type brokenOwners struct{}

var errStoreDown = errors.New("store down")

func (brokenOwners) Claim(context.Context, string) (claim.Hold, error) { return 0, errStoreDown }
func (brokenOwners) Release(context.Context, string, claim.Hold) error { return errStoreDown }
func (brokenOwners) OwnerURL(context.Context, string) (string, error) {
	return "", errStoreDown
}
func (brokenOwners) Lost(string, claim.Hold) <-chan struct{} { return nil }

func TestOwnershipStoreDown(t *testing.T) {
	h := newHarness(t, func(o *signaling.Options) { o.Owners = brokenOwners{} })
	rm := h.createRoom(false)
	// Publishing without knowing the owner could make two publishers: 503.
	r := h.publish(rm.ID, rm.PushKey)
	if r.status != http.StatusServiceUnavailable || r.code() != "ownership_unavailable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("WHIP with the store down = %d %v %s", r.status, r.header, r.body)
	}
	// Viewers are served here (and retry while it is not live).
	if r := h.play("/whep/" + rm.ID); r.status != http.StatusConflict || r.code() != "not_live" {
		t.Fatalf("WHEP with the store down = %d %s", r.status, r.body)
	}
}

// metricSum adds up the samples of the counter name in reg.
func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// jsonField is a string field of a JSON object.
func jsonField(t *testing.T, body, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	s, _ := m[name].(string)
	if s == "" {
		t.Fatalf("no %s in %s", name, body)
	}
	return s
}
