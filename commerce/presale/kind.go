package presale

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/stock"
)

// kind is the ticket order kind as the order rules call it
// (order.Tickets): the ticket's state and the whitelist change in the
// transaction of the order's change; places move in Redis after it.
type kind struct{ s *Service }

// tierOf is the tier key of a ticket order's product id.
func tierOf(o order.Order) string { return strings.TrimPrefix(o.ProductID, order.TicketPrefix) }

// Balance order ids carry their first order's: "ordb_<first order's
// suffix>_<random>", so that Reinstate (which runs inside the order's
// transaction, where no other SQL connection may be used) finds the place
// without SQL.
const (
	firstPrefix   = "ordt_"
	balancePrefix = "ordb_"
)

// isBalance tells a balance order by its id.
func isBalance(id string) bool { return strings.HasPrefix(id, balancePrefix) }

// firstOf is the first order id of balance order id.
func firstOf(id string) string {
	rest := strings.TrimPrefix(id, balancePrefix)
	if i := strings.LastIndexByte(rest, '_'); i > 0 {
		rest = rest[:i]
	}
	return firstPrefix + rest
}

// InTx moves the ticket of o with o's new status, granting or revoking its
// entitlement with the event, in the order's transaction.
func (k kind) InTx(ctx context.Context, tx *sql.Tx, from order.Status, o order.Order) error {
	s := k.s
	t, balance, err := ticketOfOrder(ctx, tx, o.ID, s.db.ForUpdate())
	if errors.Is(err, ErrNotFound) {
		s.log.Warn("ticket order without a ticket", "order", o.ID)
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	before := t.Status
	switch o.Status {
	case order.Paid:
		t.PaidMinor += o.AmountMinor
		switch {
		case balance && t.Status == StatusDepositPaid:
			t.Status = StatusPaid
		case balance:
			// A balance paid after its place was released: refunded after
			// the commit (kind.Confirm).
		case t.Pay == ModeDeposit:
			t.Status = StatusDepositPaid
			if err := s.depositAdmits(ctx, tx, t, o.ID, now); err != nil {
				return err
			}
		default:
			t.Status = StatusPaid
		}
		if t.Status == StatusPaid && before != StatusPaid {
			t.PaidAt = &now
			source := "paid"
			if balance {
				source = "balance"
			}
			if _, err := grant(ctx, tx, Entitlement{Room: t.Room, UserID: t.UserID, Tier: t.Tier, Source: source, TicketID: t.ID}, o.ID, now); err != nil {
				return err
			}
			if t.Referrer != "" {
				if err := s.Referrals.rewardInTx(ctx, tx, t, now); err != nil {
					return err
				}
			}
		}
	case order.Refunded:
		if from != order.Paid {
			break // a late payment refunded at once: it never counted as paid
		}
		t.RefundedMinor += o.AmountMinor
		reason := "refund"
		if r, ok := s.reasons.Load(o.ID); ok {
			reason = r.(string)
		}
		if t.Status == StatusReleased {
			t.Reason = reason // a released place's deposit, refunded (its rule, a cancelled show)
		}
		if t.Status == StatusPaid || t.Status == StatusDepositPaid {
			t.Status = StatusRefunded
			t.Reason = reason
			if _, err := revoke(ctx, tx, t.Room, t.UserID, t.Tier, "refund", o.ID, now); err != nil {
				return err
			}
		}
	case order.Expired, order.Cancelled:
		if !balance && t.Status == StatusReserved {
			t.Status = StatusReleased
			t.Reason = strings.ToLower(string(o.Status))
		}
	}
	return updateTicket(ctx, tx, &t, now)
}

// Confirm marks a paid first order's place paid; a balance paid after its
// place was released is refunded. It runs after the payment's commit.
func (k kind) Confirm(ctx context.Context, o order.Order) error {
	s := k.s
	s.relay.Kick()
	t, balance, err := s.store.TicketOfOrder(ctx, o.ID)
	if err != nil {
		return err
	}
	if s.passes != nil {
		s.passes.drop(t.Room, t.UserID)
	}
	if balance && t.Status != StatusPaid {
		s.log.Warn("balance paid after the place was released: refunding it", "order", o.ID, "ticket", t.ID)
		s.reasons.Store(o.ID, "balance_late")
		_, err := s.orders.Payments.RefundOnce(context.WithoutCancel(ctx), o.ID, "balance_late")
		s.reasons.Delete(o.ID)
		return err
	}
	if !balance {
		if _, err := s.places.Confirm(ctx, tierOf(o), o.ID); err != nil {
			return err
		}
	}
	s.remind(ctx, t)
	if t.Status == StatusPaid && t.Referrer != "" {
		s.Referrals.payReward(ctx, t)
	}
	return nil
}

// Release gives the place of o's ticket back once the ticket is released
// or refunded (an expired first order, a refund); a balance order that
// expired leaves the place to its deposit.
func (k kind) Release(ctx context.Context, o order.Order, paid bool) error {
	s := k.s
	s.relay.Kick()
	t, _, err := s.store.TicketOfOrder(ctx, o.ID)
	if err != nil {
		return err
	}
	if s.passes != nil {
		s.passes.drop(t.Room, t.UserID)
	}
	if t.Status != StatusReleased && t.Status != StatusRefunded {
		return nil
	}
	if _, err := s.places.Release(ctx, tierOf(o), t.OrderID); err != nil {
		return err
	}
	if err := s.opt.Reminders.Cancel(ctx, t.Room, t.UserID, ""); err != nil {
		s.log.Warn("reminders cancel", "ticket", t.ID, "err", err)
	}
	return nil
}

// Reinstate takes a late-paid first order's place again at the step it was
// sold at. A balance order keeps the deposit's place: whether that place
// is still held is settled by InTx and Confirm.
func (k kind) Reinstate(ctx context.Context, o order.Order, state stock.State) (stock.Code, error) {
	if isBalance(o.ID) {
		// A late balance keeps the place only while the deposit holds it.
		st, err := k.s.places.State(ctx, tierOf(o), firstOf(o.ID))
		if err != nil {
			return stock.No, err
		}
		if st == stock.StateConfirmed {
			return stock.Already, nil
		}
		return stock.No, nil
	}
	res, err := k.s.places.Reinstate(ctx, tierOf(o), o.ID, o.UserID, 0, state)
	if err != nil {
		return stock.No, err
	}
	return res.Code, nil
}

// remind plans t's reminders (confirmation at once, the start reminders,
// and the balance reminder of a deposit).
func (s *Service) remind(ctx context.Context, t Ticket) {
	off, err := s.Offer(ctx, t.Room)
	if err != nil {
		return
	}
	now := s.now()
	payload := map[string]string{"ticket_id": t.ID, "tier": t.Tier, "title": off.Title, "starts_at": off.StartsAt.UTC().Format(time.RFC3339)}
	var jobs []Reminder
	switch t.Status {
	case StatusPaid:
		jobs = append(jobs, Reminder{UserID: t.UserID, Room: t.Room, Kind: KindConfirmation, DueAt: now, Payload: payload})
		for _, before := range []time.Duration{24 * time.Hour, time.Hour} {
			if at := off.StartsAt.Add(-before); at.After(now) {
				jobs = append(jobs, Reminder{UserID: t.UserID, Room: t.Room, Kind: KindStart(before), DueAt: at, Payload: payload})
			}
		}
	case StatusDepositPaid:
		jobs = append(jobs, Reminder{UserID: t.UserID, Room: t.Room, Kind: KindConfirmation, DueAt: now, Payload: payload})
		if t.BalanceDueAt != nil {
			at := t.BalanceDueAt.Add(-24 * time.Hour)
			if at.Before(now) {
				at = now
			}
			jobs = append(jobs, Reminder{UserID: t.UserID, Room: t.Room, Kind: KindBalanceDue, DueAt: at, Payload: payload})
		}
	}
	if len(jobs) > 0 {
		if err := s.opt.Reminders.Plan(ctx, jobs...); err != nil {
			s.log.Warn("reminders plan", "ticket", t.ID, "err", err)
		}
	}
}

// depositAdmits entitles the holder of deposit ticket t at once when its
// tier says a deposit admits (the offer is read through tx: no other
// connection is used while the order row is locked).
func (s *Service) depositAdmits(ctx context.Context, tx *sql.Tx, t Ticket, orderID string, now time.Time) error {
	off, err := offerFrom(tx.QueryRowContext(ctx, `SELECT body FROM presale_offers WHERE room = $1`, t.Room), t.Room)
	if err != nil {
		return err
	}
	if tier, ok := off.Tier(t.Tier); !ok || !tier.DepositAdmits {
		return nil
	}
	_, err = grant(ctx, tx, Entitlement{Room: t.Room, UserID: t.UserID, Tier: t.Tier, Source: "paid", TicketID: t.ID}, orderID, now)
	return err
}
