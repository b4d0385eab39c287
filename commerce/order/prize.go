package order

import (
	"context"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/sqldb"
)

// CreatePrize gives user one unit of product as a prize (a lucky draw's
// winner): an order at price 0, its unit reserved in Redis like any order
// and the order PAID at once (nothing to pay), so it ships through the
// normal paths. idemKey names the prize ("draw:<id>"): a retry answers the
// same order. It is ErrSoldOut when no unit is left.
func (s *Service) CreatePrize(ctx context.Context, user, idemKey, productID, room string) (Order, error) {
	p, err := s.catalog.Product(ctx, productID)
	if err != nil {
		return Order{}, err
	}
	now := s.now()
	id := orderID(user, "prize:"+idemKey)
	reserve := func() (stock.Result, error) { return s.stock.ReserveHold(ctx, p.ID, id, user, 1, stock.Hold{}, now) }
	res, err := reserve()
	if err == nil && res.Code == stock.NotLoaded {
		if err = s.loadStock(ctx, p.ID, p.StockTotal); err == nil {
			res, err = reserve()
		}
	}
	if err != nil {
		return Order{}, err
	}
	switch res.Code {
	case stock.Done, stock.Already:
	case stock.No:
		return Order{}, ErrSoldOut
	default:
		return Order{}, fmt.Errorf("order: prize reserve answered %v", res.Code)
	}
	o := s.newOrder(p, id, user, "prize:"+idemKey, "prize", Request{ProductID: p.ID, Quantity: 1, Room: room}, 0, time.Hour, now)
	if err := s.store.Insert(ctx, o); err != nil && !sqldb.IsUniqueViolation(err) {
		s.releaseQuiet(ctx, p.ID, id)
		return Order{}, err
	}
	paid, err := s.store.UpdateOrder(ctx, id, func(x *Order) error {
		if x.Status != Pending {
			return nil // paid before (a retry)
		}
		at := s.now().UTC().Truncate(time.Millisecond)
		x.Status, x.PaidAt, x.Provider = Paid, &at, "prize"
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	if r, err := s.stock.Confirm(ctx, p.ID, stock.Field(id, "")); err != nil || (r.Code != stock.Done && r.Code != stock.Already) {
		s.log.Warn("prize unit not confirmed yet; reconcile will", "order", id, "err", err)
	}
	return paid, nil
}
