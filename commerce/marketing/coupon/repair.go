package coupon

import (
	"context"
	"fmt"
	"time"
)

// Repair gives back the coupons marked used by an order that was never
// written (the node died between applying the coupons and writing the
// order) once they have been so for longer than grace. It returns how
// many it gave back.
func (s *Service) Repair(ctx context.Context, grace time.Duration) (int64, error) {
	before := s.o.Now().Add(-grace).UnixMilli()
	res, err := s.o.DB.ExecContext(ctx, `UPDATE coupon_claims SET status = $1, order_id = '', returns = returns + 1, updated_at = $2
		WHERE status = $3 AND updated_at < $4 AND NOT EXISTS (SELECT 1 FROM commerce_orders o WHERE o.id = coupon_claims.order_id)`,
		StatusClaimed, s.o.Now().UnixMilli(), StatusUsed, before)
	if err != nil {
		return 0, fmt.Errorf("coupon: repair: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		s.log.Info("coupons of unwritten orders given back", "claims", n)
	}
	return n, nil
}

// RunRepair runs Repair every interval until ctx is done.
func (s *Service) RunRepair(ctx context.Context, every, grace time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Repair(ctx, grace); err != nil && ctx.Err() == nil {
				s.log.Warn("coupon repair", "err", err)
			}
		}
	}
}
