package coupon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// newService is a coupon service over b (with the commerce schema its
// outbox rows go to).
func newService(t testing.TB, b *backend.Backends, ns string, rates Rates) *Service {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	pub, err := notice.New(ctx, b.JetStream, ns)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, Options{DB: b.SQL, Redis: b.Redis, NS: ns, Notices: pub, Rates: rates, Log: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rushTemplate(total int64, perUser int) Template {
	return Template{Room: "r1", Title: "¥20 off over ¥199", Kind: Threshold, AmountMinor: 2000, MinSpendMinor: 19900, Currency: "CNY",
		Total: total, PerUser: perUser, StartsAt: time.Now().Add(-time.Minute), EndsAt: time.Now().Add(time.Hour)}
}

// TestClaimRush: 5,000 concurrent viewers tap for 1,000 coupons, many of
// them twice (a retry of the same tap) or with a second tap over their
// per-user limit of 1: exactly 1,000 claims are made, none over a user's
// limit, each retry returns the user's own claim, and SQL and the outbox
// hold exactly the 1,000 claims.
func TestClaimRush(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		s := newService(t, b, ns, Rates{})
		ctx := context.Background()
		tpl, err := s.Create(ctx, rushTemplate(1000, 1), "admin", "")
		if err != nil {
			t.Fatal(err)
		}
		const viewers = 5000
		var created, retried, overLimit, gone atomic.Int64
		var mu sync.Mutex
		byUser := map[string][]string{} // user → claim ids answered
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < viewers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				// 4,000 people: every fifth viewer is a second device of someone.
				user := fmt.Sprintf("viewer-%04d", i%4000)
				key := "1"
				if i >= 4000 && i%2 == 0 {
					key = "second-tap" // over the per-user limit
				}
				for attempt := 0; attempt < 2; attempt++ { // the app retries once
					c, fresh, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: user}, Key: key})
					var ae *apierr.Error
					switch {
					case err == nil && fresh:
						created.Add(1)
					case err == nil:
						retried.Add(1)
					case errors.As(err, &ae) && ae.Code == apierr.CodeCouponUserLimit:
						overLimit.Add(1)
						return
					case errors.As(err, &ae) && ae.Code == apierr.CodeCouponGone:
						gone.Add(1)
						return
					default:
						t.Errorf("claim: %v", err)
						return
					}
					mu.Lock()
					byUser[user] = append(byUser[user], c.ID)
					mu.Unlock()
				}
			}(i)
		}
		close(start)
		wg.Wait()
		if created.Load() != 1000 {
			t.Fatalf("%d claims made, want exactly 1000 (retries %d, over limit %d, gone %d)", created.Load(), retried.Load(), overLimit.Load(), gone.Load())
		}
		for u, ids := range byUser {
			for _, id := range ids {
				if id != ids[0] {
					t.Fatalf("%s holds two claims %v over a per-user limit of 1", u, ids)
				}
			}
		}
		var rows, users, events int
		b.SQL.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT user_id) FROM coupon_claims WHERE template_id = $1`, tpl.ID).Scan(&rows, &users)
		b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM commerce_outbox WHERE event_type = 'coupon_claimed' AND payload LIKE $1`, "%"+tpl.ID+"%").Scan(&events)
		if rows != 1000 || users != 1000 || events != 1000 {
			t.Fatalf("SQL holds %d claims of %d users and %d outbox events, want 1000 each", rows, users, events)
		}
		if left, _ := s.Left(ctx, &tpl); left != 0 {
			t.Fatalf("%d left after the rush", left)
		}
	})
}

// TestClaimLimits: a per-user limit above one is held per key, claims
// before the window or after it are refused, the audience is checked, the
// rate limits answer rate_limited, and keys lost from Redis are rebuilt
// from SQL without giving a coupon twice.
func TestClaimLimits(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		s := newService(t, b, ns, Rates{PerUser: 3, PerAddr: 4, Window: time.Minute})
		ctx := context.Background()
		tpl, err := s.Create(ctx, rushTemplate(5, 2), "admin", "")
		if err != nil {
			t.Fatal(err)
		}
		code := func(err error) apierr.Code {
			var ae *apierr.Error
			if errors.As(err, &ae) {
				return ae.Code
			}
			return ""
		}
		ann := auth.Identity{UserID: "ann"}
		for _, k := range []string{"a", "b"} {
			if _, fresh, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: ann, Key: k, Addr: "10.0.0.1"}); err != nil || !fresh {
				t.Fatalf("claim %s: %v %v", k, fresh, err)
			}
		}
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: ann, Key: "c", Addr: "10.0.0.1"}); code(err) != apierr.CodeCouponUserLimit {
			t.Fatalf("third claim: %v", err)
		}
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: ann, Key: "d", Addr: "10.0.0.2"}); code(err) != apierr.CodeRateLimited {
			t.Fatalf("fourth attempt of one user in the window: %v", err)
		}
		for i := 0; i < 2; i++ {
			s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: fmt.Sprintf("u%d", i)}, Addr: "10.0.0.1"})
		}
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: "u9"}, Addr: "10.0.0.1"}); code(err) != apierr.CodeRateLimited {
			t.Fatalf("fifth attempt from one address in the window: %v", err)
		}
		// Redis loses the keys: rebuilt from SQL (ann's two and u0's: 2 left).
		for _, k := range s.claims.keys(tpl.ID, "", "", 0)[:3] {
			b.Redis.Del(ctx, k)
		}
		if _, fresh, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: ann, Key: "a"}); err != nil || fresh {
			t.Fatalf("ann's retried claim after the rebuild: %v %v", fresh, err)
		}
		for _, u := range []string{"zoe", "xi"} {
			if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: u}}); err != nil {
				t.Fatalf("the last coupons: %v", err)
			}
		}
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Identity{UserID: "yan"}}); code(err) != apierr.CodeCouponGone {
			t.Fatalf("after the last coupon: %v", err)
		}
		// Windows and audiences.
		early := rushTemplate(5, 1)
		early.StartsAt = time.Now().Add(time.Hour)
		early.EndsAt = time.Now().Add(2 * time.Hour)
		et, _ := s.Create(ctx, early, "admin", "")
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: et.ID, User: ann}); code(err) != apierr.CodeCouponNotStarted {
			t.Fatalf("before the window: %v", err)
		}
		tagged := rushTemplate(5, 1)
		tagged.Audience, tagged.Tag = Tagged, "vip"
		tt, _ := s.Create(ctx, tagged, "admin", "")
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tt.ID, User: ann}); code(err) != apierr.CodeCouponAudience {
			t.Fatalf("a tag audience without the tag: %v", err)
		}
		if _, _, err := s.Claim(ctx, ClaimRequest{CouponID: tpl.ID, User: auth.Anonymous()}); code(err) != apierr.CodeLoginRequired {
			t.Fatalf("anonymous claim: %v", err)
		}
		// The audit trail has who, when and from where.
		var n int
		b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM coupon_audit WHERE template_id = $1 AND action = 'claim' AND actor = 'ann' AND addr = '10.0.0.1' AND at > 0`, tpl.ID).Scan(&n)
		if n != 2 {
			t.Fatalf("%d audited claims of ann from 10.0.0.1, want 2", n)
		}
	})
}
