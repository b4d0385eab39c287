package sfu

import (
	"testing"
	"time"
)

// A regional edge relays its source to a further edge; when its own link
// to the origin breaks and is made again, the further edge's link lives
// on, and its viewer resumes on the same stream: continuous sequence
// numbers, no new session anywhere below the regional edge.
func TestCascadeTierOutlivesTheRegionalRelink(t *testing.T) {
	origin := newTestEngine(t, Config{})
	regional := newTestEngine(t, Config{})
	edge := newTestEngine(t, Config{})
	startPublisher(t, origin, "r1", simulcast)
	mid := startSource(t, origin, regional, "r1")
	waitFor(t, 10*time.Second, "regional layers", func() bool { return len(mid.pub.layerList()) == 3 })
	leaf := startSource(t, regional, edge, "r1")
	waitFor(t, 10*time.Second, "edge layers", func() bool { return len(leaf.pub.layerList()) == 3 })
	v, vs := startViewer(t, edge, "r1", "h")
	waitFor(t, 10*time.Second, "packets at the edge", func() bool { return len(v.Packets()) >= 30 })
	if pk := v.Packets(); !pk[0].VP8.Keyframe {
		t.Errorf("first packet at the second tier is not a keyframe")
	}
	if got := regional.RelayStats(); got.Links != 1 || got.Sources != 1 {
		t.Fatalf("regional links %d sources %d, want 1 and 1", got.Links, got.Sources)
	}

	// The regional edge's link breaks at the origin; it links again.
	if n := origin.DropRelays("r1"); n != 1 {
		t.Fatalf("dropped %d links, want 1", n)
	}
	waitFor(t, 5*time.Second, "regional source gone", func() bool { return regional.RelayStats().Sources == 0 })
	n := len(v.Packets())
	mid2 := startSource(t, origin, regional, "r1")
	waitFor(t, 10*time.Second, "regional layers again", func() bool { return len(mid2.pub.layerList()) == 3 })
	waitFor(t, 10*time.Second, "packets at the edge after the regional relink", func() bool { return len(v.Packets()) >= n+30 })
	for _, s := range []*Session{leaf, vs} {
		select {
		case <-s.Done():
			t.Fatal("a session below the regional edge ended with its link")
		default:
		}
	}
	if got := regional.RelayStats().Links; got != 1 {
		t.Fatalf("regional relay links after its relink = %d, want 1", got)
	}
	checkStream(t, v.Packets())

	// The relay ends once the regional edge gets no new source in time.
	_ = mid2.Close()
	waitFor(t, 15*time.Second, "the edge's link ends without a regional source", func() bool {
		select {
		case <-leaf.Done():
			return true
		default:
			return false
		}
	})
	waitFor(t, 5*time.Second, "regional relay gone", func() bool { return regional.RelayStats().Links == 0 })
	waitFor(t, 5*time.Second, "regional room forgotten", func() bool {
		regional.mu.Lock()
		defer regional.mu.Unlock()
		return regional.rooms["r1"] == nil
	})
}
