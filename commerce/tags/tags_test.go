package tags_test

import (
	"testing"

	"github.com/livesell/livesell/commerce/tags"
)

func FuzzParseActivity(f *testing.F) {
	f.Add([]byte(`{"user_id":"u1","room":"r1","kind":"watched"}`))
	f.Add([]byte(`{"user_id":"","kind":"clicked","product_id":"p"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := tags.ParseActivity(b)
		if err == nil && (a.UserID == "" || !tags.Valid(a.Kind) || a.At.IsZero()) {
			t.Fatalf("accepted %+v", a)
		}
	})
}
