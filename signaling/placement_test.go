package signaling

import (
	"testing"

	"github.com/livesell/livesell/signaling/claim"
)

// pickNode sends a viewer to the least-loaded node serving the room that
// neither drains nor is full, never to this node itself, and falls back to
// the origin.
func TestPickNode(t *testing.T) {
	self := claim.Owner{NodeID: "self", URL: "http://self:1"}
	origin := claim.Owner{NodeID: "o", URL: "http://o:1"}
	e1 := claim.Owner{NodeID: "e1", URL: "http://e1:1"}
	e2 := claim.Owner{NodeID: "e2", URL: "http://e2:1"}
	ld := func(v int) claim.Load { return claim.Load{Viewers: v} }
	draining := func(v int) claim.Load { return claim.Load{Viewers: v, Draining: true} }
	full := claim.Load{Viewers: 5, MaxViewers: 5}
	cases := []struct {
		name   string
		origin *claim.Owner
		edges  []claim.Owner
		loads  map[string]claim.Load
		want   string
	}{
		{"origin only", &origin, nil, map[string]claim.Load{"o": ld(9)}, origin.URL},
		{"edge with fewer viewers", &origin, []claim.Owner{e1, e2}, map[string]claim.Load{"o": ld(9), "e1": ld(4), "e2": ld(2)}, e2.URL},
		{"tie goes to the origin", &origin, []claim.Owner{e1}, map[string]claim.Load{"o": ld(3), "e1": ld(3)}, origin.URL},
		{"tie between edges: lower id", &origin, []claim.Owner{e2, e1}, map[string]claim.Load{"o": ld(8), "e1": ld(1), "e2": ld(1)}, e1.URL},
		{"draining edge skipped", &origin, []claim.Owner{e1}, map[string]claim.Load{"o": ld(9), "e1": draining(0)}, origin.URL},
		{"full edge skipped", &origin, []claim.Owner{e1, e2}, map[string]claim.Load{"o": ld(9), "e1": full, "e2": ld(6)}, e2.URL},
		{"draining origin, an edge", &origin, []claim.Owner{e1}, map[string]claim.Load{"o": draining(0), "e1": ld(7)}, e1.URL},
		{"draining origin, no edge", &origin, nil, map[string]claim.Load{"o": draining(0)}, ""},
		{"origin without record is the fallback", &origin, []claim.Owner{e1}, map[string]claim.Load{"e1": draining(0)}, origin.URL},
		{"edge without record skipped", &origin, []claim.Owner{e1}, map[string]claim.Load{"o": ld(9)}, origin.URL},
		{"full origin is still the fallback", &origin, nil, map[string]claim.Load{"o": full}, origin.URL},
		{"no records at all (Redis read failed)", &origin, []claim.Owner{e1}, nil, origin.URL},
		{"self never chosen", &origin, []claim.Owner{self}, map[string]claim.Load{"o": ld(9), "self": ld(0)}, origin.URL},
		{"self at the same URL never chosen", &origin, []claim.Owner{{NodeID: "old-self", URL: self.URL}}, map[string]claim.Load{"o": ld(9), "old-self": ld(0)}, origin.URL},
		{"self is the origin: an edge", &self, []claim.Owner{e1}, map[string]claim.Load{"self": ld(0), "e1": ld(4)}, e1.URL},
		{"self is the origin, no edge", &self, nil, map[string]claim.Load{"self": ld(0)}, ""},
		{"no origin: off air, edges left over", nil, []claim.Owner{e1}, map[string]claim.Load{"e1": ld(1)}, ""},
		{"nothing", nil, nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pickNode(self, tc.origin, tc.edges, tc.loads); got != tc.want {
				t.Fatalf("pickNode = %q, want %q", got, tc.want)
			}
		})
	}
}
