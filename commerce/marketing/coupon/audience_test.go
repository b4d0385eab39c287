package coupon

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/tags"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// passes is auth.Tickets for a room r1 that sells tickets, held by the
// users in it.
type passes map[string]bool

func (p passes) Pass(_ context.Context, room, user string) (bool, auth.Pass, bool, error) {
	if room != "r1" {
		return false, auth.Pass{}, false, nil
	}
	return true, auth.Pass{Tier: "standard"}, p[user], nil
}

// TestAudiences: a ticket-holders coupon is claimed by a holder and
// refused (coupon_audience) to a viewer without a ticket; a tag coupon by
// a user with the commerce tag (the real tags store) and refused to others.
func TestAudiences(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		s := newService(t, b, ns, Rates{})
		st := tags.NewStore(b.SQL)
		s.o.Tickets, s.o.Tags = passes{"ann": true}, st
		ctx := context.Background()
		if err := st.Add(ctx, "cat", "vip", "", "", time.Now()); err != nil {
			t.Fatal(err)
		}
		ticketed := rushTemplate(10, 1)
		ticketed.Audience = TicketHolders
		tt, _ := s.Create(ctx, ticketed, "admin", "")
		tagged := rushTemplate(10, 1)
		tagged.Audience, tagged.Tag = Tagged, "vip"
		tg, _ := s.Create(ctx, tagged, "admin", "")
		for _, tc := range []struct {
			coupon, user string
			ok           bool
		}{{tt.ID, "ann", true}, {tt.ID, "bob", false}, {tg.ID, "cat", true}, {tg.ID, "ann", false}} {
			_, _, err := s.Claim(ctx, ClaimRequest{CouponID: tc.coupon, User: auth.Identity{UserID: tc.user}})
			var ae *apierr.Error
			if tc.ok && err != nil || !tc.ok && !(errors.As(err, &ae) && ae.Code == apierr.CodeCouponAudience) {
				t.Fatalf("%s claiming %s: %v", tc.user, tc.coupon, err)
			}
		}
	})
}
