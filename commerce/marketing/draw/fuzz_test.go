package draw_test

import (
	"testing"

	"github.com/livesell/livesell/commerce/marketing/draw"
)

// FuzzParseSpec: any body either fails with a catalogue error or yields a
// spec that passes its own check.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(`{"title":"Lucky bag","rule":"keyword","keyword":"want","winners":3,"duration_s":60,"prize":{"kind":"points","points":100}}`))
	f.Add([]byte(`{"title":"x","rule":"tag","tag":"vip","winners":1,"duration_s":1,"claim_window_s":60,"prize":{"kind":"product","product_id":"p1"}}`))
	f.Add([]byte(`{"rule":"keyword","keyword":"  ","winners":-1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sp, err := draw.ParseSpec("r1", body)
		if err != nil {
			return
		}
		if cerr := sp.Check(); cerr != nil {
			t.Fatalf("parsed spec fails its check: %v", cerr)
		}
		if sp.Room != "r1" || sp.Winners < 1 || sp.Duration <= 0 {
			t.Fatalf("accepted %+v", sp)
		}
	})
}

// FuzzParseAudience: any message either fails or names a room and kind.
func FuzzParseAudience(f *testing.F) {
	f.Add([]byte(`{"room":"r1","kind":"danmaku","viewer":"v1","user_id":"u1","text":"想要"}`))
	f.Add([]byte(`{"room":"","kind":"like"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := draw.ParseAudience(body)
		if err == nil && (ev.Room == "" || ev.Kind == "") {
			t.Fatalf("accepted %+v", ev)
		}
	})
}

// FuzzOrder: the draw's order is a permutation of the distinct entries,
// for any seed and list.
func FuzzOrder(f *testing.F) {
	f.Add([]byte("seed"), "p_a\np_b\np_c\np_a")
	f.Fuzz(func(t *testing.T, seed []byte, list string) {
		var in []string
		for i, j := 0, 0; j <= len(list); j++ {
			if j == len(list) || list[j] == '\n' {
				in = append(in, list[i:j])
				i = j + 1
			}
		}
		out := draw.Order(seed, in, 0)
		seen := map[string]bool{}
		for _, p := range out {
			if seen[p] {
				t.Fatalf("%q twice", p)
			}
			seen[p] = true
		}
		for _, p := range in {
			if !seen[p] {
				t.Fatalf("%q lost", p)
			}
		}
	})
}
