package errmap

import (
	"errors"
	"fmt"
	"testing"

	"github.com/livesell/livesell/internal/apierr"
)

func TestMap(t *testing.T) {
	errShown := errors.New("shop: the rule")
	errQuiet := errors.New("shop: internal detail")
	table := []Code{{Err: errShown, Code: apierr.CodeInvalidRequest}, {Err: errQuiet, Code: apierr.CodeSoldOut, Quiet: true}}
	caught := apierr.E(apierr.CodeRateLimited, "slow down")
	for _, tc := range []struct {
		name     string
		err      error
		code     apierr.Code
		message  string
		internal bool
	}{
		{name: "shown", err: fmt.Errorf("buy: %w", errShown), code: apierr.CodeInvalidRequest, message: "buy: shop: the rule"},
		{name: "quiet", err: fmt.Errorf("buy: %w", errQuiet), code: apierr.CodeSoldOut},
		{name: "already a catalogue error", err: caught, code: apierr.CodeRateLimited, message: "slow down"},
		{name: "unknown", err: errors.New("disk on fire"), internal: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Map(tc.err, table)
			var ae *apierr.Error
			if !errors.As(got, &ae) {
				t.Fatalf("%v is not a catalogue error", got)
			}
			if tc.internal {
				if ae.Code != apierr.CodeInternal || ae.Status != 500 {
					t.Fatalf("unknown error mapped to %s (%d)", ae.Code, ae.Status)
				}
				return
			}
			if ae.Code != tc.code {
				t.Fatalf("code %s, want %s", ae.Code, tc.code)
			}
			if tc.message != "" && ae.Message != tc.message {
				t.Fatalf("message %q, want %q", ae.Message, tc.message)
			}
			if tc.name == "quiet" && ae.Message == tc.err.Error() {
				t.Fatalf("quiet row shows the domain message %q", ae.Message)
			}
		})
	}
	if Map(nil, table) != nil {
		t.Fatal("nil is not an error")
	}
}
