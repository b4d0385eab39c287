package signaling_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livesell/livesell/internal/testenv"
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

// BenchmarkWHEPRedirect measures a WHEP POST at a node without the room's
// publisher while another node holds it: room lookup, claim lookup in
// Redis, 307. Embedded Redis and the machine's real one.
func BenchmarkWHEPRedirect(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Embedded, testenv.Real} {
		b.Run(string(kind), func(b *testing.B) {
			h := newClusterHarnessOn(b, kind)
			rm := h.createRoom(false)
			if _, err := h.other.Claim(context.Background(), rm.ID); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/whep/"+rm.ID+"?layer=auto", strings.NewReader(testOffer))
				req.Header.Set("Content-Type", "application/sdp")
				resp, err := h.app.Test(req, -1)
				if err != nil || resp.StatusCode != http.StatusTemporaryRedirect {
					b.Fatalf("WHEP: %v %v", resp, err)
				}
			}
		})
	}
}
