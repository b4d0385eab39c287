package gift

import (
	"context"
	"errors"
	"fmt"

	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/internal/apierr"
)

// Coupons issues coupon rewards (commerce/marketing/coupon.Service).
type Coupons interface {
	Template(ctx context.Context, id string) (coupon.Template, error)
	Issue(ctx context.Context, r coupon.IssueRequest) (coupon.Claim, bool, error)
}

// UseCoupons lets tipping rules reward a coupon.
func (s *Service) UseCoupons(c Coupons) { s.coupons = c }

// AddRule checks r (a coupon reward names a template of the rule's room)
// and adds it to its room.
func (s *Service) AddRule(ctx context.Context, r Rule) (Rule, error) {
	if err := r.Check(); err != nil {
		return r, err
	}
	if r.Reward == RewardCoupon {
		if s.coupons == nil {
			return r, fmt.Errorf("%w: coupon rewards are not issued on this node", ErrInvalid)
		}
		t, err := s.coupons.Template(ctx, r.CouponID)
		if errors.Is(err, coupon.ErrNotFound) {
			return r, fmt.Errorf("%w: coupon %s does not exist", ErrInvalid, r.CouponID)
		}
		if err != nil {
			return r, fmt.Errorf("gift: coupon: %w", err)
		}
		if t.Room != r.Room {
			return r, fmt.Errorf("%w: coupon %s is another room's", ErrInvalid, r.CouponID)
		}
	}
	return s.store.AddRule(ctx, r)
}

// issueCoupon gives user rule r's coupon, once per (rule, user): the
// issue's key is the rule, so a replayed delivery names the same claim.
// A coupon that can no longer be issued (none left, the user's limit, the
// coupon ended) is logged, not retried.
func (s *Service) issueCoupon(ctx context.Context, r Rule, user string) error {
	if s.coupons == nil {
		return fmt.Errorf("gift: rule %s rewards a coupon; none on this node", r.ID)
	}
	_, _, err := s.coupons.Issue(ctx, coupon.IssueRequest{CouponID: r.CouponID, User: user, Key: "tip:" + r.ID, Source: "tip:" + r.ID})
	switch apierr.CodeOf(err) {
	case apierr.CodeCouponGone, apierr.CodeCouponUserLimit, apierr.CodeCouponExpired, apierr.CodeCouponNotFound:
		s.log.Warn("tipping rule coupon not issued", "rule", r.ID, "coupon", r.CouponID, "user", user, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("gift: rule %s coupon: %w", r.ID, err)
	}
	return nil
}
