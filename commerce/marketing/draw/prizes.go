package draw

import (
	"context"
	"fmt"

	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/auth"
)

// PrizeOrders creates prize orders (commerce/order.Service.CreatePrize).
type PrizeOrders interface {
	CreatePrize(ctx context.Context, user, idemKey, productID, room string) (order.Order, error)
}

// PrizeCoupons claims coupons (commerce/marketing/coupon.Service).
type PrizeCoupons interface {
	Claim(ctx context.Context, r coupon.ClaimRequest) (coupon.Claim, bool, error)
}

// OrderPrizes gives the prizes that are not points through the normal
// paths: a product as an order at price 0 (stock reserved, the order PAID,
// shipped like any), a coupon as the winner's claim of the template (its
// quantity, validity and audience hold). Coupons may be nil.
type OrderPrizes struct {
	Orders  PrizeOrders
	Coupons PrizeCoupons
}

// Give implements Prizes: once per (draw, winner).
func (p OrderPrizes) Give(ctx context.Context, d Draw, user string) (string, error) {
	switch {
	case d.Prize.Kind == PrizeProduct:
		o, err := p.Orders.CreatePrize(ctx, user, "draw:"+d.ID, d.Prize.ProductID, d.Room)
		if err != nil {
			return "", err
		}
		return o.ID, nil
	case d.Prize.Kind == PrizeCoupon && p.Coupons != nil:
		c, _, err := p.Coupons.Claim(ctx, coupon.ClaimRequest{CouponID: d.Prize.CouponID, User: auth.Identity{UserID: user}, Key: "draw:" + d.ID})
		if err != nil {
			return "", err
		}
		return c.ID, nil
	}
	return "", fmt.Errorf("%w: %s prizes are not given on this node", ErrInvalid, d.Prize.Kind)
}
