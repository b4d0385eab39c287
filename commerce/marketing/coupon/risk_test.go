package coupon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/livesell/livesell/commerce/marketing/risk"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestRiskVeto: with the shop's risk webhook set, a claim it refuses is
// coupon_vetoed (audited with the reason) and takes no coupon; one it
// allows is claimed.
func TestRiskVeto(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var c risk.Check
			body, _ := io.ReadAll(r.Body)
			json.Unmarshal(body, &c)
			if c.Action == "coupon.claim" && c.UserID == "bot" {
				io.WriteString(w, `{"allow":false,"reason":"device farm"}`)
				return
			}
			io.WriteString(w, `{"allow":true}`)
		}))
		defer hook.Close()
		s := newService(t, b, ns, Rates{})
		s.o.Risk = &risk.Webhook{URL: hook.URL, Secret: "s"}
		ctx := context.Background()
		tpl, err := s.Create(ctx, rushTemplate(2, 1), "admin", "")
		if err != nil {
			t.Fatal(err)
		}
		var ae *apierr.Error
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: "bot"}, Addr: "10.1.1.1"}); !errors.As(err, &ae) || ae.Code != apierr.CodeCouponVetoed {
			t.Fatalf("vetoed claim: %v", err)
		}
		if _, fresh, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: "ann"}}); err != nil || !fresh {
			t.Fatalf("allowed claim: %v %v", fresh, err)
		}
		if left, _ := s.Left(ctx, &tpl); left != 1 {
			t.Fatalf("%d left, want 1 (the veto took none)", left)
		}
		var reason string
		b.SQL.QueryRowContext(ctx, `SELECT detail FROM coupon_audit WHERE template_id = $1 AND action = 'claim_vetoed' AND actor = 'bot' AND addr = '10.1.1.1'`, tpl.ID).Scan(&reason)
		if reason != "device farm" {
			t.Fatalf("audited veto reason %q", reason)
		}
	})
}
