package claim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/livesell/livesell/signaling/claim"
)

func TestParseOwner(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want claim.Owner
		ok   bool
	}{
		{"n1 http://127.0.0.1:8080", claim.Owner{"n1", "http://127.0.0.1:8080"}, true},
		{"n_2 https://live.example.com/media/", claim.Owner{"n_2", "https://live.example.com/media"}, true},
		{"", claim.Owner{}, false},
		{"n1", claim.Owner{}, false},
		{" http://a", claim.Owner{}, false},
		{"n1 ", claim.Owner{}, false},
		{"n/1 http://a", claim.Owner{}, false},
		{"n1 ftp://a", claim.Owner{}, false},
		{"n1 javascript:alert(1)", claim.Owner{}, false},
		{"n1 http://", claim.Owner{}, false},
		{"n1 http://u:p@a", claim.Owner{}, false},
		{"n1 http://a/?q", claim.Owner{}, false},
		{"n1 http://a/#f", claim.Owner{}, false},
		{"n1 http://a b", claim.Owner{}, false},
		{"n1 http://a\r\nX: y", claim.Owner{}, false},
		{"n1 //a", claim.Owner{}, false},
		{"n1 http://" + strings.Repeat("a", claim.MaxValueBytes), claim.Owner{}, false},
	} {
		got, err := claim.ParseOwner(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseOwner(%q) = %+v, %v; want %+v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, claim.ErrInvalidOwner) {
			t.Errorf("ParseOwner(%q): %v is not ErrInvalidOwner", tc.in, err)
		}
		if err == nil {
			if again, err := claim.ParseOwner(got.String()); err != nil || again != got {
				t.Errorf("round trip of %q: %+v, %v", tc.in, again, err)
			}
		}
	}
}

// FuzzParseOwner: claim values come from a store other processes write;
// whatever is there, a parsed owner is a clean http(s) base URL that
// round-trips, and nothing panics.
func FuzzParseOwner(f *testing.F) {
	for _, s := range []string{"n1 http://127.0.0.1:8080", "x https://a/b/", "n1 http://a\r\n", "n1 http://[::1]:80", "a  http://a", "n1 http://a/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := claim.ParseOwner(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://") {
			t.Fatalf("%q parsed to URL %q", s, o.URL)
		}
		if strings.ContainsAny(o.URL, " \r\n\t?#") || strings.ContainsAny(o.NodeID, " \r\n") {
			t.Fatalf("%q parsed to %+v", s, o)
		}
		if again, err := claim.ParseOwner(o.String()); err != nil || again != o {
			t.Fatalf("round trip of %q: %+v, %v", s, again, err)
		}
	})
}
