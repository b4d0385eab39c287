package stock

import (
	"context"
	"fmt"
)

// Pending is the number of unpaid orders holding units of product. With
// no units left, it tells "sold out" (0) from "all held by checkouts that
// may still give units back" (more than 0).
func (s *Store) Pending(ctx context.Context, product string) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.keysOf(product)[3]).Result()
	if err != nil {
		return 0, fmt.Errorf("stock: pending: %w", unavailable(err))
	}
	return n, nil
}
