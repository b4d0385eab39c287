package redpacket

import (
	"context"
	"errors"
	"fmt"

	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/commerce/marketing/wallet"
)

// Credit modes: where a grab goes.
const (
	// CreditWallet credits the grab to the grabber's wallet.
	CreditWallet = "wallet"
	// CreditCoupon issues the grabber a claimed amount_off coupon of the
	// packet's template worth the grabbed amount (nothing to the wallet).
	CreditCoupon = "coupon"
)

// Coupons issues coupons (commerce/marketing/coupon.Service).
type Coupons interface {
	Template(ctx context.Context, id string) (coupon.Template, error)
	Issue(ctx context.Context, r coupon.IssueRequest) (coupon.Claim, bool, error)
	IssuedMinor(ctx context.Context, source string) (int64, int, error)
}

// UseCoupons lets packets credit their grabs as coupons (credit coupon).
func (s *Service) UseCoupons(c Coupons) { s.coupons = c }

// meta is what a grab needs to know of its packet.
type meta struct{ currency, credit, coupon string }

func metaOf(p Packet) meta { return meta{currency: p.Currency, credit: p.Credit, coupon: p.CouponID} }

// couponSource names the coupons issued for packet id.
func couponSource(id string) string { return "rp:" + id }

// checkCredit checks a coupon-mode spec's template: it exists, takes an
// amount off, is in the packet's currency and is valid past the packet's end.
func (s *Service) checkCredit(ctx context.Context, sp Spec) error {
	if sp.Credit != CreditCoupon {
		return nil
	}
	if s.coupons == nil {
		return fmt.Errorf("%w: coupons are not issued on this node", ErrInvalid)
	}
	t, err := s.coupons.Template(ctx, sp.CouponID)
	if errors.Is(err, coupon.ErrNotFound) {
		return fmt.Errorf("%w: coupon %s does not exist", ErrInvalid, sp.CouponID)
	}
	if err != nil {
		return fmt.Errorf("redpacket: coupon: %w", err)
	}
	switch {
	case t.Kind != coupon.AmountOff:
		return fmt.Errorf("%w: coupon %s must be amount_off", ErrInvalid, t.ID)
	case t.Currency != sp.Currency:
		return fmt.Errorf("%w: coupon %s is in %s, the packet in %s", ErrInvalid, t.ID, t.Currency, sp.Currency)
	case sp.Room != "" && t.Room != sp.Room:
		return fmt.Errorf("%w: coupon %s is another room's", ErrInvalid, t.ID)
	}
	return nil
}

// credit credits user's grab of amt from packet id, once per (packet,
// user): to the wallet, or as a coupon (answering its claim id).
func (s *Service) credit(ctx context.Context, m meta, id, user string, amt int64) (string, error) {
	if m.credit != CreditCoupon {
		_, err := s.wallet.Move(ctx, user, m.currency, amt, wallet.KindRedPacket, grabRef(id, user))
		return "", err
	}
	if s.coupons == nil {
		return "", fmt.Errorf("redpacket: packet %s issues coupons; none on this node", id)
	}
	c, _, err := s.coupons.Issue(ctx, coupon.IssueRequest{CouponID: m.coupon, User: user, Key: grabRef(id, user), Source: couponSource(id), AmountMinor: amt})
	if err != nil {
		return "", fmt.Errorf("redpacket: issue coupon: %w", err)
	}
	return c.ID, nil
}

// issued is what the coupons of packet id are worth.
func (s *Service) issued(ctx context.Context, id string) (int64, error) {
	if s.coupons == nil {
		return 0, fmt.Errorf("redpacket: packet %s issues coupons; none on this node", id)
	}
	sum, _, err := s.coupons.IssuedMinor(ctx, couponSource(id))
	return sum, err
}
