package claim_test

import (
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
	"github.com/livesell/livesell/signaling/claim"
)

// Every node publishes its load record with a TTL: the others read it
// (with the publisher's own URL whatever the record says), a refresh
// replaces it, a withdrawn one goes at once, an expired one by itself, and
// a record that is not one is left out.
func TestNodeLoads(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		a := newClaims(t, b.Redis, ns, "http://127.0.0.1:8201/", func(o *claim.Options) { o.NodeID = "node-a" })
		c := newClaims(t, b.Redis, ns, "http://127.0.0.1:8202", func(o *claim.Options) { o.NodeID = "node-c" })
		if err := a.PublishLoad(ctx(t), claim.Load{URL: "http://elsewhere.example", Viewers: 7, MaxViewers: 10}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := c.PublishLoad(ctx(t), claim.Load{Viewers: 2, Draining: true}, 400*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := b.Redis.Set(ctx(t), claim.NodeKey(ns, "bogus"), `{"url":"ftp://x","viewers":1}`, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		got, err := c.Loads(ctx(t), []string{"node-a", "node-c", "bogus", "absent"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]claim.Load{
			"node-a": {NodeID: "node-a", URL: "http://127.0.0.1:8201", Viewers: 7, MaxViewers: 10},
			"node-c": {NodeID: "node-c", URL: "http://127.0.0.1:8202", Viewers: 2, Draining: true},
		}
		if len(got) != len(want) {
			t.Fatalf("loads = %+v, want %+v", got, want)
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("load of %s = %+v, want %+v", id, got[id], w)
			}
		}
		if ttl := b.Redis.PTTL(ctx(t), claim.NodeKey(ns, "node-a")).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("record TTL = %v", ttl)
		}
		if err := a.PublishLoad(ctx(t), claim.Load{Viewers: 10, MaxViewers: 10}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if l := mustLoads(t, c, "node-a")["node-a"]; l.Viewers != 10 || !l.Full() {
			t.Errorf("refreshed record = %+v (full %v), want 10 viewers, full", l, l.Full())
		}
		if err := a.WithdrawLoad(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if _, ok := mustLoads(t, c, "node-a")["node-a"]; ok {
			t.Error("withdrawn record still read")
		}
		testenv.Eventually(t, 10*time.Second, func() bool {
			_, ok := mustLoads(t, a, "node-c")["node-c"]
			return !ok
		}, "node-c's record outlived its TTL")
		if got, err := a.Loads(ctx(t), nil); err != nil || len(got) != 0 {
			t.Errorf("Loads(nil) = %v, %v", got, err)
		}
	})
}

func mustLoads(t *testing.T, c *claim.Claims, ids ...string) map[string]claim.Load {
	t.Helper()
	m, err := c.Loads(ctx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
