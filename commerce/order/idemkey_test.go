package order

import (
	"errors"
	"strings"
	"testing"
)

func TestIdempotencyKey(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		explicit  bool
		invalid   bool
	}{
		{name: "given", key: "k-1", explicit: true},
		{name: "longest", key: strings.Repeat("k", 128), explicit: true},
		{name: "too long", key: strings.Repeat("k", 129), explicit: true, invalid: true},
		{name: "none", key: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, explicit, err := idempotencyKey(tc.key)
			if tc.invalid {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("err %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || explicit != tc.explicit {
				t.Fatalf("explicit %v err %v", explicit, err)
			}
			switch {
			case tc.explicit && got != tc.key:
				t.Fatalf("key %q, want the caller's %q", got, tc.key)
			case !tc.explicit && !strings.HasPrefix(got, "auto_"):
				t.Fatalf("automatic key %q", got)
			}
		})
	}
	a, _, _ := idempotencyKey("")
	b, _, _ := idempotencyKey("")
	if a == b {
		t.Fatalf("two automatic keys are both %q", a)
	}
}
