package redpacket_test

import (
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/redpacket"
)

// FuzzParseLaunch: any body either fails or yields a launch whose spec
// passes its check and whose rain is bounded.
func FuzzParseLaunch(f *testing.F) {
	f.Add([]byte(`{"total_minor":8888,"packets":10,"currency":"CNY","duration_s":60}`))
	f.Add([]byte(`{"total_minor":100,"packets":10,"min_minor":10,"mode":"equal","currency":"CNY","duration_s":5,"opens_in_s":3,"rain":{"count":5,"every_s":10}}`))
	f.Add([]byte(`{"total_minor":-1}`))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := redpacket.ParseLaunch("r1", "room:r1", body, now)
		if err != nil {
			return
		}
		if cerr := r.Spec.Check(); cerr != nil {
			t.Fatalf("parsed launch fails its check: %v", cerr)
		}
		if r.Count < 1 || r.Count > 100 || r.Every < 0 || r.Spec.MinMinor*int64(r.Spec.Packets) > r.Spec.TotalMinor {
			t.Fatalf("accepted %+v", r)
		}
	})
}
