package order

import (
	"context"
	"time"
)

// Sweep expires every PENDING order due at now and returns its stock; it
// returns how many it expired. Several nodes may sweep at once: each order
// is claimed by one transaction, and the Redis release is exactly-once.
func (s *Maintenance) Sweep(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		claimed, err := s.store.ClaimExpired(ctx, now, 100)
		if err != nil {
			return total, err
		}
		for _, o := range claimed {
			s.release(ctx, o, false)
			s.log.Info("order expired", "order", o.ID)
		}
		total += len(claimed)
		if len(claimed) < 100 {
			return total, nil
		}
	}
}

// RunSweeper sweeps every interval until ctx is done.
func (s *Maintenance) RunSweeper(ctx context.Context, every time.Duration) {
	runEvery(ctx, every, func() {
		if _, err := s.Sweep(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("order sweep", "err", err)
		}
	})
}
