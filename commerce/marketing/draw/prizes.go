package draw

import (
	"context"
	"fmt"

	"github.com/livesell/livesell/commerce/order"
)

// PrizeOrders creates prize orders (commerce/order.Service.CreatePrize).
type PrizeOrders interface {
	CreatePrize(ctx context.Context, user, idemKey, productID, room string) (order.Order, error)
}

// OrderPrizes gives product prizes as orders at price 0 through the
// normal order path (stock reserved, the order PAID, shipped like any).
type OrderPrizes struct{ Orders PrizeOrders }

// Give implements Prizes: one order per (draw, winner).
func (p OrderPrizes) Give(ctx context.Context, d Draw, user string) (string, error) {
	if d.Prize.Kind != PrizeProduct {
		return "", fmt.Errorf("%w: %s prizes are not given on this node", ErrInvalid, d.Prize.Kind)
	}
	o, err := p.Orders.CreatePrize(ctx, user, "draw:"+d.ID, d.Prize.ProductID, d.Room)
	if err != nil {
		return "", err
	}
	return o.ID, nil
}
