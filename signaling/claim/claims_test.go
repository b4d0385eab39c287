package claim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/claim"
)

// newClaims starts Claims for a node at url and closes it with the test.
func newClaims(t *testing.T, rdb redis.UniversalClient, ns, url string, mod func(*claim.Options)) *claim.Claims {
	t.Helper()
	o := claim.Options{Redis: rdb, Namespace: ns, PublicURL: url, Logger: testenv.Logger(t)}
	if mod != nil {
		mod(&o)
	}
	c, err := claim.New(o)
	if err != nil {
		t.Fatalf("claim.New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestClaimLookupRelease(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		rdb := b.Redis
		a := newClaims(t, rdb, ns, "http://127.0.0.1:8001/", nil)
		bb := newClaims(t, rdb, ns, "https://node-b.example", nil)
		key := claim.Key(ns, "r1")
		if key != ns+":media:room:{r1}" {
			t.Fatalf("Key = %q", key)
		}

		h1, err := a.Claim(ctx(t), "r1")
		if err != nil || h1 == 0 {
			t.Fatalf("A claims a free room: %v, %v", h1, err)
		}
		v, err := rdb.Get(ctx(t), key).Result()
		if err != nil {
			t.Fatal(err)
		}
		o, err := claim.ParseOwner(v)
		if err != nil || o != a.Self() || o.URL != "http://127.0.0.1:8001" {
			t.Fatalf("stored %q → %+v, %v; want %+v", v, o, err, a.Self())
		}
		pttl, err := rdb.PTTL(ctx(t), key).Result()
		if err != nil || pttl <= 0 || pttl > claim.DefaultTTL {
			t.Fatalf("PTTL = %v, %v; want in (0, %s]", pttl, err, claim.DefaultTTL)
		}
		if !a.Holds("r1") || bb.Holds("r1") {
			t.Fatal("Holds wrong")
		}

		_, err = bb.Claim(ctx(t), "r1")
		if !errors.Is(err, claim.ErrHeld) || !strings.Contains(err.Error(), "http://127.0.0.1:8001") {
			t.Fatalf("B claims A's room: %v; want ErrHeld naming A", err)
		}
		if u, err := bb.OwnerURL(ctx(t), "r1"); err != nil || u != "http://127.0.0.1:8001" {
			t.Fatalf("B.OwnerURL = %q, %v", u, err)
		}
		if u, err := a.OwnerURL(ctx(t), "r1"); err != nil || u != "" {
			t.Fatalf("A.OwnerURL of its own room = %q, %v; want empty", u, err)
		}
		if u, err := bb.OwnerURL(ctx(t), "nobody"); err != nil || u != "" {
			t.Fatalf("OwnerURL of an unclaimed room = %q, %v", u, err)
		}

		// Claims are counted: the claim stays until the last release.
		if h2, err := a.Claim(ctx(t), "r1"); err != nil || h2 != h1 {
			t.Fatalf("A claims its own room again: %v, %v; want the same hold %v", h2, err, h1)
		}
		if err := a.Release(ctx(t), "r1", h1); err != nil {
			t.Fatal(err)
		}
		if n, _ := rdb.Exists(ctx(t), key).Result(); n != 1 {
			t.Fatal("claim deleted while A still holds it once")
		}
		if err := a.Release(ctx(t), "r1", h1); err != nil {
			t.Fatal(err)
		}
		if n, _ := rdb.Exists(ctx(t), key).Result(); n != 0 {
			t.Fatal("claim left after the last release")
		}
		if err := a.Release(ctx(t), "r1", h1); err != nil {
			t.Fatalf("extra release: %v", err)
		}

		// Now B may take it, and A's stale release does not delete B's claim.
		if _, err := bb.Claim(ctx(t), "r1"); err != nil {
			t.Fatalf("B claims the released room: %v", err)
		}
		if u, _ := a.OwnerURL(ctx(t), "r1"); u != "https://node-b.example" {
			t.Fatalf("A.OwnerURL = %q", u)
		}
	})
}

func TestReleaseNeverDeletesAnotherNodesClaim(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		a := newClaims(t, b.Redis, ns, "http://127.0.0.1:8001", nil)
		h, err := a.Claim(ctx(t), "r")
		if err != nil {
			t.Fatal(err)
		}
		// Another node took the key (A's claim had expired meanwhile).
		other := claim.Owner{NodeID: "other", URL: "http://127.0.0.1:8002"}.String()
		b.Redis.Set(ctx(t), claim.Key(ns, "r"), other, time.Minute)
		if err := a.Release(ctx(t), "r", h); err != nil {
			t.Fatal(err)
		}
		if v, _ := b.Redis.Get(ctx(t), claim.Key(ns, "r")).Result(); v != other {
			t.Fatalf("claim after A's release = %q; want the other node's", v)
		}
	})
}

func TestRefreshKeepsAndRestoresTheClaim(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		const ttl = 400 * time.Millisecond
		a := newClaims(t, b.Redis, ns, "http://127.0.0.1:8001", func(o *claim.Options) {
			o.TTL, o.Refresh = ttl, 50*time.Millisecond
		})
		key := claim.Key(ns, "r")
		h, err := a.Claim(ctx(t), "r")
		if err != nil {
			t.Fatal(err)
		}
		// On the real Redis the TTL runs: the claim must outlive it several
		// times over. (The embedded store only moves time when told to.)
		time.Sleep(3 * ttl)
		if v, err := b.Redis.Get(ctx(t), key).Result(); err != nil || v != a.Self().String() {
			t.Fatalf("claim after 3 TTLs = %q, %v", v, err)
		}
		// A claim that vanished (Redis restarted, key evicted) comes back.
		b.Redis.Del(ctx(t), key)
		testenv.Eventually(t, 5*time.Second, func() bool {
			v, _ := b.Redis.Get(ctx(t), key).Result()
			pttl, _ := b.Redis.PTTL(ctx(t), key).Result()
			return v == a.Self().String() && pttl > 0 && pttl <= ttl
		}, "the refresher did not restore the claim with its TTL")
		// Released claims are not refreshed back.
		if err := a.Release(ctx(t), "r", h); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if n, _ := b.Redis.Exists(ctx(t), key).Result(); n != 0 {
			t.Fatal("released claim came back")
		}
	})
}

func TestLostClaimIsReported(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		var mu sync.Mutex
		var lost []string
		a := newClaims(t, b.Redis, ns, "http://127.0.0.1:8001", func(o *claim.Options) {
			o.TTL, o.Refresh = 400*time.Millisecond, 50*time.Millisecond
			o.OnLost = func(room string) {
				mu.Lock()
				lost = append(lost, room)
				mu.Unlock()
			}
		})
		if _, err := a.Claim(ctx(t), "kept"); err != nil {
			t.Fatal(err)
		}
		takenHold, err := a.Claim(ctx(t), "taken")
		if err != nil {
			t.Fatal(err)
		}
		other := claim.Owner{NodeID: "n2", URL: "http://127.0.0.1:8002"}.String()
		b.Redis.Set(ctx(t), claim.Key(ns, "taken"), other, time.Minute)
		testenv.Eventually(t, 5*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(lost) == 1 && lost[0] == "taken"
		}, "OnLost not called for the taken room")
		if v, _ := b.Redis.Get(ctx(t), claim.Key(ns, "taken")).Result(); v != other {
			t.Fatalf("the other node's claim was overwritten: %q", v)
		}
		if a.Holds("taken") || !a.Holds("kept") {
			t.Fatal("Holds after loss wrong")
		}
		// The room comes back to A (the other node let go); the hold of the
		// lost claim, released late, must not release the new one.
		b.Redis.Del(ctx(t), claim.Key(ns, "taken"))
		fresh, err := a.Claim(ctx(t), "taken")
		if err != nil || fresh == takenHold {
			t.Fatalf("claim again = %v, %v (lost hold %v)", fresh, err, takenHold)
		}
		if err := a.Release(ctx(t), "taken", takenHold); err != nil {
			t.Fatal(err)
		}
		if v, _ := b.Redis.Get(ctx(t), claim.Key(ns, "taken")).Result(); v != a.Self().String() || !a.Holds("taken") {
			t.Fatalf("a stale hold released the new claim: %q", v)
		}
	})
}

func TestCloseReleasesHeldClaims(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		a, err := claim.New(claim.Options{Redis: b.Redis, Namespace: ns, PublicURL: "http://127.0.0.1:8001", Logger: testenv.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []string{"x", "y"} {
			if _, err := a.Claim(ctx(t), r); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Close(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if err := a.Close(ctx(t)); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if n, _ := b.Redis.Exists(ctx(t), claim.Key(ns, "x"), claim.Key(ns, "y")).Result(); n != 0 {
			t.Fatalf("%d claims left after Close", n)
		}
	})
}

// TestCrashedNodesClaimExpires needs Redis's own clock, which the embedded
// store does not run, so it uses the real Redis only.
func TestCrashedNodesClaimExpires(t *testing.T) {
	b := testenv.Backends(t, testenv.Real)
	ns := testenv.Namespace(t)
	crashed := claim.Owner{NodeID: "crashed", URL: "http://127.0.0.1:8009"}.String()
	b.Redis.Set(ctx(t), claim.Key(ns, "r"), crashed, 300*time.Millisecond)
	a := newClaims(t, b.Redis, ns, "http://127.0.0.1:8001", nil)
	if _, err := a.Claim(ctx(t), "r"); !errors.Is(err, claim.ErrHeld) {
		t.Fatalf("claim over a live claim: %v", err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool { _, err := a.Claim(ctx(t), "r"); return err == nil },
		"the crashed node's claim never expired")
	if u, _ := a.OwnerURL(ctx(t), "r"); u != "" {
		t.Fatalf("OwnerURL after takeover = %q", u)
	}
}

func TestNewChecksOptions(t *testing.T) {
	rdb := testenv.Backends(t, testenv.Embedded).Redis
	for _, tc := range []struct {
		name string
		o    claim.Options
	}{
		{"no redis", claim.Options{Namespace: "n", PublicURL: "http://a"}},
		{"no namespace", claim.Options{Redis: rdb, PublicURL: "http://a"}},
		{"no public URL", claim.Options{Redis: rdb, Namespace: "n"}},
		{"relative URL", claim.Options{Redis: rdb, Namespace: "n", PublicURL: "/live"}},
		{"URL with query", claim.Options{Redis: rdb, Namespace: "n", PublicURL: "http://a/?x=1"}},
		{"bad node id", claim.Options{Redis: rdb, Namespace: "n", PublicURL: "http://a", NodeID: "a b"}},
		{"tiny TTL", claim.Options{Redis: rdb, Namespace: "n", PublicURL: "http://a", TTL: time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := claim.New(tc.o); err == nil {
				c.Close(context.Background())
				t.Fatal("New accepted bad options")
			}
		})
	}
}

// BenchmarkClaimRelease is one publisher's claim and release (two Lua
// calls), on the embedded and the real Redis.
func BenchmarkClaimRelease(b *testing.B) {
	for _, kind := range []testenv.Kind{testenv.Embedded, testenv.Real} {
		b.Run(string(kind), func(b *testing.B) {
			c, err := claim.New(claim.Options{Redis: testenv.Backends(b, kind).Redis, Namespace: testenv.Namespace(b), PublicURL: "http://127.0.0.1:8001"})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close(context.Background())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				h, err := c.Claim(ctx, "r")
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Release(ctx, "r", h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
