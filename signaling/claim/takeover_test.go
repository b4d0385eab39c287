package claim_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/claim"
)

// refusedURL is the base URL of a loopback port nothing listens on: a node
// that crashed on a machine that is up.
func refusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

// TestClaimTakesOverAGoneHolder: Claim replaces the claim of a holder that
// HTTPProbe finds gone (its port refuses connections) at once, and waits
// out every holder that may be alive: one that answers /healthz, one that
// does not answer in time.
func TestClaimTakesOverAGoneHolder(t *testing.T) {
	alive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer alive.Close()
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	defer broken.Close()
	const self = "http://127.0.0.1:8001"
	cases := []struct {
		name   string
		holder string
		probe  bool
		taken  bool
	}{
		{"refused", refusedURL(t), true, true},
		{"refused, no prober", refusedURL(t), false, false},
		{"answers", alive.URL, true, false},
		{"answers 500", broken.URL, true, false},
		{"times out", hung.URL, true, false},
		{"previous incarnation at our URL", self, true, true},
	}
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				room := "r-" + testenv.Namespace(t)
				stale := claim.Owner{NodeID: "crashed", URL: tc.holder}.String()
				b.Redis.Set(ctx(t), claim.Key(ns, room), stale, time.Minute)
				c := newClaims(t, b.Redis, ns, self, func(o *claim.Options) {
					if tc.probe {
						o.Probe = claim.HTTPProbe(300 * time.Millisecond)
					}
				})
				start := time.Now()
				h, err := c.Claim(ctx(t), room)
				took := time.Since(start)
				if took > 2*time.Second {
					t.Fatalf("Claim took %v", took)
				}
				v, _ := b.Redis.Get(ctx(t), claim.Key(ns, room)).Result()
				if !tc.taken {
					if !errors.Is(err, claim.ErrHeld) || v != stale || c.Holds(room) {
						t.Fatalf("Claim = %v (claim %q): want ErrHeld and the holder's claim kept", err, v)
					}
					return
				}
				if err != nil || v != c.Self().String() || !c.Holds(room) {
					t.Fatalf("Claim = %v (claim %q): want the claim taken over", err, v)
				}
				if ttl := b.Redis.PTTL(ctx(t), claim.Key(ns, room)).Val(); ttl <= 0 || ttl > claim.DefaultTTL {
					t.Fatalf("taken-over claim's TTL = %v, want ours (%v)", ttl, claim.DefaultTTL)
				}
				if err := c.Release(ctx(t), room, h); err != nil {
					t.Fatal(err)
				}
				if n := b.Redis.Exists(ctx(t), claim.Key(ns, room)).Val(); n != 0 {
					t.Fatal("a taken-over claim outlived its Release")
				}
			})
		}
	})
}

// TestTakeoverIsCompareAndSet: a claim that changes hands while the
// holder is probed (a third node was faster) is not overwritten.
func TestTakeoverIsCompareAndSet(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		key := claim.Key(ns, "r")
		stale := claim.Owner{NodeID: "crashed", URL: refusedURL(t)}.String()
		third := claim.Owner{NodeID: "third", URL: "http://127.0.0.1:8003"}.String()
		b.Redis.Set(ctx(t), key, stale, time.Minute)
		c := newClaims(t, b.Redis, ns, "http://127.0.0.1:8001", func(o *claim.Options) {
			o.Probe = func(ctx context.Context, holder claim.Owner) bool {
				b.Redis.Set(ctx, key, third, time.Minute) // the third node takes over first
				return true
			}
		})
		if _, err := c.Claim(ctx(t), "r"); !errors.Is(err, claim.ErrHeld) {
			t.Fatalf("Claim = %v, want ErrHeld (the third node's claim)", err)
		}
		if v := b.Redis.Get(ctx(t), key).Val(); v != third || c.Holds("r") {
			t.Fatalf("claim = %q after a lost race, want the third node's", v)
		}
	})
}

// TestTakenOverHolderLosesTheRoom: a holder that was alive after all (its
// public URL refused connections: misconfigured) finds its claim gone at
// its next refresh and is told (OnLost): one publisher per room still.
func TestTakenOverHolderLosesTheRoom(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		lost := make(chan string, 1)
		a := newClaims(t, b.Redis, ns, refusedURL(t), func(o *claim.Options) {
			o.Refresh = 50 * time.Millisecond
			o.OnLost = func(room string) { lost <- room }
		})
		if _, err := a.Claim(ctx(t), "r"); err != nil {
			t.Fatal(err)
		}
		d := newClaims(t, b.Redis, ns, "http://127.0.0.1:8004", func(o *claim.Options) { o.Probe = claim.HTTPProbe(time.Second) })
		if _, err := d.Claim(ctx(t), "r"); err != nil {
			t.Fatalf("takeover: %v", err)
		}
		select {
		case room := <-lost:
			if room != "r" || a.Holds("r") {
				t.Fatalf("lost %q, holds %v", room, a.Holds("r"))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the taken-over holder was not told")
		}
		if v := b.Redis.Get(ctx(t), claim.Key(ns, "r")).Val(); v != d.Self().String() {
			t.Fatalf("claim = %q after the old holder's refresh, want the new holder's", v)
		}
	})
}
