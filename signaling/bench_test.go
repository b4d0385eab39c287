package signaling_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livesell/livesell/signaling"
)

func BenchmarkParseFragment(b *testing.B) {
	body := []byte(trickle)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signaling.ParseFragment(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateOffer(b *testing.B) {
	body := []byte(testOffer)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signaling.ValidateOffer(body, 64<<10); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWHEPRequest measures the HTTP layer of one WHEP session —
// POST (room lookup in SQLite, offer validation, session registration)
// and DELETE — over a fake engine, so the media plane is not in it.
func BenchmarkWHEPRequest(b *testing.B) {
	h := newHarness(b, nil)
	rm := h.createRoom(false)
	if r := h.publish(rm.ID, rm.PushKey); r.status != http.StatusCreated {
		b.Fatalf("publish: %d", r.status)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/whep/"+rm.ID, strings.NewReader(testOffer))
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := h.app.Test(req, -1)
		if err != nil || resp.StatusCode != http.StatusCreated {
			b.Fatalf("WHEP: %v %v", resp, err)
		}
		del := httptest.NewRequest("DELETE", resp.Header.Get("Location"), nil)
		if resp, err := h.app.Test(del, -1); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("DELETE: %v %v", resp, err)
		}
	}
}
