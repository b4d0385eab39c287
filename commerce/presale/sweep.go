package presale

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/livesell/livesell/commerce/order"
)

// SweepDeposits releases every deposit ticket whose balance was not paid by
// its due time at now: the place goes back on sale (exactly once: the
// ticket is claimed in SQL with FOR UPDATE SKIP LOCKED on PostgreSQL, so
// several nodes sweeping at once never release it twice, and the Redis
// release is itself once per place), an open balance order is cancelled,
// and the deposit is refunded when the offer says so. It also releases
// places whose order row was never written (a crash between the two). It
// returns how many tickets it released.
func (s *Maintenance) SweepDeposits(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		claimed, err := s.claimUnpaid(ctx, now, 100)
		if err != nil {
			return total, err
		}
		for _, t := range claimed {
			s.afterRelease(ctx, t)
		}
		total += len(claimed)
		if len(claimed) < 100 {
			break
		}
	}
	orphans, err := s.claimOrphans(ctx, now.Add(-time.Minute))
	for _, t := range orphans {
		s.releasePlace(ctx, tierKey(t.Room, t.Tier), t.OrderID)
	}
	return total + len(orphans), err
}

func (s *Maintenance) claimUnpaid(ctx context.Context, now time.Time, limit int) ([]Ticket, error) {
	return s.claim(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE status = $1 AND balance_due_at <= $2 ORDER BY balance_due_at LIMIT $3`+s.db.SkipLocked(),
		StatusDepositPaid, "balance_unpaid", now, StatusDepositPaid, now.UnixMilli(), limit)
}

// claimOrphans claims reserved tickets older than before whose first order
// is missing (a crash between the two inserts) or ended without the ticket
// hearing of it (expired by a sweeper before the presale was composed).
func (s *Maintenance) claimOrphans(ctx context.Context, before time.Time) ([]Ticket, error) {
	return s.claim(ctx, `SELECT `+ticketCols+` FROM presale_tickets WHERE status = $1 AND created_at < $2
		AND NOT EXISTS (SELECT 1 FROM commerce_orders o WHERE o.id = presale_tickets.order_id AND o.status NOT IN ($3, $4)) LIMIT 100`+s.db.SkipLocked(),
		StatusReserved, "unpaid", before, StatusReserved, before.UnixMilli(), string(order.Expired), string(order.Cancelled))
}

// claim moves the tickets q selects from status from to released with
// reason, in one transaction, and returns those it moved.
func (s *Maintenance) claim(ctx context.Context, q, from, reason string, now time.Time, args ...any) ([]Ticket, error) {
	var out []Ticket
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("presale: sweep: %w", err)
		}
		var due []Ticket
		for rows.Next() {
			t, err := scanTicket(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("presale: sweep: %w", err)
			}
			due = append(due, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("presale: sweep: %w", err)
		}
		for _, t := range due {
			res, err := tx.ExecContext(ctx, `UPDATE presale_tickets SET status = $1, reason = $2, updated_at = $3 WHERE id = $4 AND status = $5`,
				StatusReleased, reason, now.UnixMilli(), t.ID, from)
			if err != nil {
				return fmt.Errorf("presale: sweep: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				t.Status, t.Reason = StatusReleased, reason
				// A deposit that admitted (deposit_admits) stops admitting.
				if _, err := revoke(ctx, tx, t.Room, t.UserID, t.Tier, "released", t.OrderID, now); err != nil {
					return err
				}
				out = append(out, t)
			}
		}
		return nil
	})
	if err == nil && len(out) > 0 {
		s.relay.Kick()
		for _, t := range out {
			if s.passes != nil {
				s.passes.drop(t.Room, t.UserID)
			}
		}
	}
	return out, err
}

// afterRelease finishes a deposit ticket released for an unpaid balance.
func (s *Maintenance) afterRelease(ctx context.Context, t Ticket) {
	s.releasePlace(ctx, tierKey(t.Room, t.Tier), t.OrderID)
	if t.BalanceOrderID != "" {
		if _, err := s.orders.Cancel(ctx, t.BalanceOrderID, t.UserID, true); err != nil {
			s.log.Debug("balance order not cancelled", "order", t.BalanceOrderID, "err", err)
		}
	}
	off, err := s.offer(ctx, t.Room)
	if tier, ok := off.Tier(t.Tier); err == nil && ok && tier.DepositRule == DepositRefund {
		s.reasons.Store(t.OrderID, "balance_unpaid")
		if _, err := s.orders.Payments.RefundOnce(ctx, t.OrderID, "balance_unpaid"); err != nil {
			s.log.Error("deposit refund failed; refund by hand", "ticket", t.ID, "order", t.OrderID, "err", err)
		}
		s.reasons.Delete(t.OrderID)
	}
	if err := s.opt.Reminders.Cancel(ctx, t.Room, t.UserID, ""); err != nil {
		s.log.Warn("reminders cancel", "ticket", t.ID, "err", err)
	}
	s.log.Info("deposit place released: balance not paid in time", "ticket", t.ID, "room", t.Room, "user", t.UserID)
}

// RunSweeper sweeps deposits every interval, and reconciles places with
// SQL every minute, until ctx is done.
func (s *Maintenance) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.SweepDeposits(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("presale sweep", "err", err)
		}
		if now := s.now(); now.Sub(last) >= suspectAge {
			last = now
			if _, err := s.ReconcilePlaces(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("presale reconcile", "err", err)
			}
		}
	}
}

var _ order.Tickets = kind{}
