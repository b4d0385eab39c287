package events_test

import (
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// TestAudienceFeeds: both feeds deliver a room's events to that room's
// subscribers and to "*", in order, and stop after cancel; the NATS feed
// drops malformed messages and events naming another room than their subject.
func TestAudienceFeeds(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		for name, feed := range map[string]events.AudienceFeed{"local": events.NewLocalAudience(), "nats": events.NewNATSAudience(b.NATS, ns, testenv.Logger(t))} {
			t.Run(name, func(t *testing.T) {
				var mu sync.Mutex
				got := map[string][]string{}
				sub := func(key, room string) func() {
					cancel, err := feed.Subscribe(room, func(ev events.AudienceEvent) {
						mu.Lock()
						got[key] = append(got[key], ev.Room+":"+ev.Text)
						mu.Unlock()
					})
					if err != nil {
						t.Fatal(err)
					}
					return cancel
				}
				cancelA := sub("a", "roomA")
				defer sub("all", "*")()
				b.NATS.Flush()
				at := time.Now()
				feed.Publish([]events.AudienceEvent{{Room: "roomA", Kind: "danmaku", Text: "1", At: at}, {Room: "roomB", Kind: "danmaku", Text: "2", At: at}, {Room: "roomA", Kind: "danmaku", Text: "3", At: at}})
				if name == "nats" {
					b.NATS.Publish(events.AudienceSubject(ns, "roomA"), []byte("{not json"))
					b.NATS.Publish(events.AudienceSubject(ns, "roomA"), []byte(`{"room":"roomB","kind":"danmaku","text":"forged"}`))
				}
				b.NATS.Flush()
				testenv.Eventually(t, 10*time.Second, func() bool {
					mu.Lock()
					defer mu.Unlock()
					return len(got["all"]) == 3 && len(got["a"]) == 2
				}, "the events never arrived")
				cancelA()
				b.NATS.Flush()
				feed.Publish([]events.AudienceEvent{{Room: "roomA", Kind: "danmaku", Text: "4", At: at}})
				testenv.Eventually(t, 10*time.Second, func() bool {
					mu.Lock()
					defer mu.Unlock()
					return len(got["all"]) == 4
				}, "the last event never arrived")
				mu.Lock()
				defer mu.Unlock()
				if want := []string{"roomA:1", "roomB:2", "roomA:3", "roomA:4"}; !equal(got["all"], want) {
					t.Errorf("all = %v, want %v", got["all"], want)
				}
				if want := []string{"roomA:1", "roomA:3"}; !equal(got["a"], want) {
					t.Errorf("roomA = %v, want %v (nothing after cancel, nothing malformed or forged)", got["a"], want)
				}
			})
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
