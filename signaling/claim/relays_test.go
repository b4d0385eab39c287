package claim_test

import (
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/claim"
)

// Edges announce the rooms they relay with a TTL: both are listed, a
// withdrawn one goes at once, an expired one by itself.
func TestRelayAnnouncements(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e1 := newClaims(t, b.Redis, ns, "http://127.0.0.1:8101", nil)
		e2 := newClaims(t, b.Redis, ns, "http://127.0.0.1:8102", nil)
		if err := e1.Announce(ctx(t), "r1", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := e2.Announce(ctx(t), "r1", 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		urls := func() map[string]bool {
			rs, err := e1.Relays(ctx(t), "r1")
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]bool{}
			for _, o := range rs {
				m[o.URL] = true
			}
			return m
		}
		if got := urls(); !got["http://127.0.0.1:8101"] || !got["http://127.0.0.1:8102"] {
			t.Fatalf("relays = %v, want both edges", got)
		}
		testenv.Eventually(t, 10*time.Second, func() bool {
			got := urls()
			return got["http://127.0.0.1:8101"] && !got["http://127.0.0.1:8102"]
		}, "the short announcement did not expire")
		if err := e1.Withdraw(ctx(t), "r1"); err != nil {
			t.Fatal(err)
		}
		if got := urls(); len(got) != 0 {
			t.Fatalf("relays after withdraw = %v", got)
		}
		if ttl := b.Redis.PTTL(ctx(t), claim.RelaysKey(ns, "r1")).Val(); ttl > time.Minute {
			t.Fatalf("relays key TTL %v above the longest announcement", ttl)
		}
	})
}
