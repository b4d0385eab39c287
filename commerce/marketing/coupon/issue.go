package coupon

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// IssueRequest gives a user one coupon of a template without a tap: the
// issuing path of the other marketing tools (a red packet in coupon mode).
type IssueRequest struct {
	CouponID string
	User     string
	// Key names the issue: the same key issues the same claim once.
	Key string
	// Source is recorded with the claim (its audit action), e.g. "rp:<packet>".
	Source string
	// AmountMinor, when > 0, is the claim's own amount (amount_off only).
	AmountMinor int64
}

// Issue gives r.User one claimed coupon of r.CouponID, idempotent per
// (template, user, key): atomic in Redis like a claim (the template's
// quantity and per-user limit hold), then written with its outbox event.
// created is false when the key issued it before.
func (s *Service) Issue(ctx context.Context, r IssueRequest) (c Claim, created bool, err error) {
	if r.User == "" || r.Key == "" || r.Source == "" || r.Source == "claim" {
		return c, false, invalid("issue needs a user, a key and a source")
	}
	t, err := s.Template(ctx, r.CouponID)
	if err != nil {
		return c, false, err
	}
	if r.AmountMinor < 0 || (r.AmountMinor > 0 && t.Kind != AmountOff) {
		return c, false, invalid("an own amount is for amount_off coupons")
	}
	now := s.o.Now()
	if !now.Before(t.EndsAt) {
		return c, false, apierr.E(apierr.CodeCouponExpired, "%s ended at %s", t.Title, t.EndsAt.Format(time.RFC3339))
	}
	id := claimID(t.ID, r.User, "issue:"+r.Key)
	code, _, err := s.claims.claim(ctx, &t, r.User, id, "", Rates{}, now)
	if err == nil && code == claimNotLoaded {
		if err = s.ensureLoaded(ctx, &t); err == nil {
			code, _, err = s.claims.claim(ctx, &t, r.User, id, "", Rates{}, now)
		}
	}
	if err != nil {
		return c, false, apierr.Wrap(apierr.CodeStoreUnavailable, err)
	}
	switch code {
	case claimDone, claimAlready:
	case claimGone:
		return c, false, apierr.New(apierr.CodeCouponGone)
	case claimUserLimit:
		return c, false, apierr.E(apierr.CodeCouponUserLimit, "at most %d of %s per person", t.PerUser, t.Title)
	default:
		return c, false, fmt.Errorf("coupon: issue answered %d", code)
	}
	c = Claim{ID: id, TemplateID: t.ID, UserID: r.User, Status: StatusClaimed, AmountMinor: r.AmountMinor, ClaimedAt: now.UTC().Truncate(time.Millisecond), Template: &t}
	// A repeated key writes the row a crashed first attempt may not have.
	if err := s.batch.write(ctx, s.store, newClaim{c: c, room: t.Room, source: r.Source}); err != nil {
		return c, false, err
	}
	return c, code == claimDone, nil
}

// IssuedMinor sums the own amounts of the claims issued from source and
// counts them (what a red packet in coupon mode has paid out).
func (s *Service) IssuedMinor(ctx context.Context, source string) (int64, int, error) {
	var sum sql.NullInt64
	var n int
	if err := s.o.DB.QueryRowContext(ctx, `SELECT SUM(amount_minor), COUNT(*) FROM coupon_claims WHERE source = $1`, source).Scan(&sum, &n); err != nil {
		return 0, 0, fmt.Errorf("coupon: issued: %w", err)
	}
	return sum.Int64, n, nil
}
