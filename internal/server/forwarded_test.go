package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/sfu/synth"
)

// TestFloodNeverLocksOutTheAnchor is #11.2 and #11.3 on a whole node behind
// a trusted proxy: an anonymous client floods junk push keys and viewer
// tokens, rotating the client-written part of X-Forwarded-For. The flood is
// answered 429 too_many_failures — the rotation does not escape the limit,
// since the client is the right-most hop the proxy wrote — while a correct
// push key is accepted both from another address and from the flooding
// address itself.
func TestFloodNeverLocksOutTheAnchor(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Media.ICEInterfaces = []string{"lo"}
	cfg.TrustedProxies = []string{"0.0.0.0/32"} // the in-process test client's address
	s := newServerWith(t, cfg)
	keys := map[string]string{}
	for _, id := range []string{"anchor", "same"} {
		_, _, raw := send(t, s, http.MethodPost, "/api/rooms", s.AdminToken(), `{"id":"`+id+`","title":"Flood"}`)
		keys[id] = jsonString(t, raw, "push_key")
	}
	const flooder = "203.0.113.9"
	limited := 0
	for i := 0; i < 60; i++ {
		xff := fmt.Sprintf("10.%d.%d.1, %s", i/250, i%250, flooder) // the left part is whatever the client wrote
		resp, out := exchange(t, s, http.MethodPost, "/whip/anchor", "lsk_junk", "application/sdp", "v=0\r\n", "X-Forwarded-For", xff)
		if resp.StatusCode == http.StatusTooManyRequests && errorCode(string(out)) == "too_many_failures" {
			limited++
		}
		exchange(t, s, http.MethodPost, "/whep/anchor", "junk.jwt.token", "application/sdp", "v=0\r\n", "X-Forwarded-For", xff)
	}
	if limited == 0 {
		t.Fatal("60 junk push keys with a rotating X-Forwarded-For were never limited")
	}
	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ room, xff string }{{"anchor", "198.51.100.1"}, {"same", "10.9.9.9, " + flooder}} {
		pub, err := synth.NewPublisher(api, synth.PublisherOptions{FPS: 15, Bitrates: []int{100_000}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pub.Close() })
		offer, err := pub.Offer()
		if err != nil {
			t.Fatal(err)
		}
		resp, out := exchange(t, s, http.MethodPost, "/whip/"+tc.room, keys[tc.room], "application/sdp", offer, "X-Forwarded-For", tc.xff)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("the anchor's correct push key from %s during the flood: %d %s", tc.xff, resp.StatusCode, out)
		}
	}
}
