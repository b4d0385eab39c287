package coupon

import (
	"context"
	"fmt"
)

// ToolStats is one coupon's analytics: what was claimed and used, and the
// paid orders it drove (GMV is what those orders charged, after discounts).
type ToolStats struct {
	CouponID      string `json:"coupon_id"`
	Title         string `json:"title"`
	Total         int64  `json:"total"`
	Claimed       int64  `json:"claimed"`
	Used          int64  `json:"used"`
	Orders        int64  `json:"orders"`
	GMVMinor      int64  `json:"gmv_minor"`
	DiscountMinor int64  `json:"discount_minor"`
	Currency      string `json:"currency"`
}

// RoomStats are the coupon analytics of a room.
type RoomStats struct {
	Room    string      `json:"room"`
	Coupons []ToolStats `json:"coupons"`
	// Totals over the room's coupons (an order using two is counted once).
	Claimed  int64 `json:"claimed"`
	Used     int64 `json:"used"`
	Orders   int64 `json:"orders"`
	GMVMinor int64 `json:"gmv_minor"`
}

// paidStates are the order states that count as sales.
const paidStates = `('PAID', 'SHIPPED', 'COMPLETED')`

// Stats reads room's coupon analytics.
func (s *Service) Stats(ctx context.Context, room string) (RoomStats, error) {
	ts, err := s.store.templates(ctx, "room = $1", room)
	if err != nil {
		return RoomStats{}, err
	}
	out := RoomStats{Room: room, Coupons: []ToolStats{}}
	for _, t := range ts {
		st := ToolStats{CouponID: t.ID, Title: t.Title, Total: t.Total, Currency: t.Currency}
		if err := s.o.DB.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN status = 'used' THEN 1 ELSE 0 END), 0) FROM coupon_claims WHERE template_id = $1`, t.ID).
			Scan(&st.Claimed, &st.Used); err != nil {
			return out, fmt.Errorf("coupon: stats: %w", err)
		}
		if err := s.o.DB.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(o.amount_minor), 0), COALESCE(SUM(d.off), 0)
			FROM (SELECT order_id, SUM(discount_minor) AS off FROM commerce_order_discounts WHERE coupon_id = $1 GROUP BY order_id) d
			JOIN commerce_orders o ON o.id = d.order_id WHERE o.status IN `+paidStates, t.ID).
			Scan(&st.Orders, &st.GMVMinor, &st.DiscountMinor); err != nil {
			return out, fmt.Errorf("coupon: stats: %w", err)
		}
		out.Claimed += st.Claimed
		out.Used += st.Used
		out.Coupons = append(out.Coupons, st)
	}
	if err := s.o.DB.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(o.amount_minor), 0) FROM commerce_orders o
		WHERE o.status IN `+paidStates+` AND o.id IN (SELECT d.order_id FROM commerce_order_discounts d JOIN coupon_templates t ON t.id = d.coupon_id WHERE t.room = $1)`, room).
		Scan(&out.Orders, &out.GMVMinor); err != nil {
		return out, fmt.Errorf("coupon: stats: %w", err)
	}
	return out, nil
}
