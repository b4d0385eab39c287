package order

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/stock"
)

// Pay starts paying order id of user with the named provider.
func (s *Payments) Pay(ctx context.Context, id, user string, admin bool, providerName, baseURL string) (payment.Checkout, error) {
	prov, ok := s.providers[providerName]
	if !ok {
		return payment.Checkout{}, fmt.Errorf("%w: unknown or unconfigured provider %q", ErrInvalid, providerName)
	}
	o, err := s.store.Get(ctx, id)
	if err != nil {
		return payment.Checkout{}, err
	}
	if !admin && o.UserID != user {
		return payment.Checkout{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if o.Status != Pending {
		return payment.Checkout{}, fmt.Errorf("%w: the order is %s", ErrBadState, o.Status)
	}
	if !s.now().Before(o.ExpiresAt) {
		return payment.Checkout{}, fmt.Errorf("%w: the order expired", ErrBadState)
	}
	// One open attempt per order and provider: repeated calls (a buyer
	// pressing Pay again, or a client looping) get the same checkout and
	// never make the provider start another attempt. Concurrent calls for
	// one order on this node queue on its stripe of locks.
	mu := &s.payLocks[stripe(o.ID)]
	mu.Lock()
	defer mu.Unlock()
	if co, ok, err := s.store.OpenCheckout(ctx, o.ID, prov.Name()); err != nil || ok {
		return co, err
	}
	pay := Payment{ID: ids.New("pay"), OrderID: o.ID, Provider: prov.Name(), AmountMinor: o.AmountMinor, Currency: o.Currency, CreatedAt: s.now()}
	co, err := prov.Begin(ctx, payment.Charge{PaymentID: pay.ID, OrderID: o.ID, Title: o.ProductTitle, AmountMinor: o.AmountMinor, Currency: o.Currency, BaseURL: baseURL})
	if err != nil {
		return payment.Checkout{}, fmt.Errorf("order: %s checkout: %w", prov.Name(), err)
	}
	pay.ProviderRef = co.ProviderRef
	pay.checkout = co
	if err := s.store.InsertPayment(ctx, pay); err != nil {
		return payment.Checkout{}, err
	}
	return co, nil
}

// payStripes is how many locks serialise /pay per order on one node.
const payStripes = 64

// stripe picks one of the service's pay locks for an order id.
func stripe(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % payStripes)
}

// Outcome says what a notice did.
type Outcome string

// Outcomes of ApplyNotice.
const (
	OutcomePaid            Outcome = "paid"             // PENDING → PAID
	OutcomePaidLate        Outcome = "paid_late"        // EXPIRED/CANCELLED → PAID, stock reinstated
	OutcomeRefundedLate    Outcome = "refunded_late"    // EXPIRED/CANCELLED → REFUNDED, no stock left
	OutcomeRefundedLimit   Outcome = "refunded_limit"   // EXPIRED/CANCELLED → REFUNDED, the buyer reached the per-user limit meanwhile
	OutcomeDuplicateRefund Outcome = "duplicate_refund" // a second payment of a settled order, refunded
	OutcomeFailed          Outcome = "failed"           // a failed attempt: nothing changes
	OutcomeDuplicate       Outcome = "duplicate"        // this transaction was applied before
)

// ApplyNotice applies a verified provider notice: at most once per
// provider transaction, only when amount and currency match the order.
// A payment arriving after expiry or cancellation is reinstated if the stock
// allows, else refunded (docs/payments.md).
func (s *Payments) ApplyNotice(ctx context.Context, n payment.Notice) (Order, Outcome, error) {
	pay, err := s.store.GetPayment(ctx, n.PaymentID)
	if err != nil {
		return Order{}, "", err
	}
	if pay.Provider != n.Provider {
		return Order{}, "", fmt.Errorf("%w: payment %s belongs to %s", ErrUnknownPayment, pay.ID, pay.Provider)
	}
	if !n.Paid {
		o, err := s.store.Get(ctx, pay.OrderID)
		s.log.Info("payment failed", "order", pay.OrderID, "provider", n.Provider)
		// A failed payment gives the unit back at once (#12): the buyer
		// starts again with a new order; the stock is on sale meanwhile.
		if err == nil && o.Status == Pending {
			if c, cerr := s.orders.Cancel(ctx, o.ID, o.UserID, true); cerr == nil {
				o = c
			} else if !errors.Is(cerr, ErrBadState) {
				s.log.Warn("cancel after a failed payment", "order", o.ID, "err", cerr)
			}
		}
		return o, OutcomeFailed, err
	}
	txn := &Txn{Provider: n.Provider, TransactionID: n.TransactionID, PaymentID: pay.ID, AmountMinor: n.AmountMinor, Currency: n.Currency}
	var confirm, refund bool
	o, err := s.store.ApplyTxn(ctx, pay.OrderID, txn, func(o *Order) error {
		confirm, refund = false, false
		if n.AmountMinor != o.AmountMinor || n.Currency != o.Currency {
			return fmt.Errorf("%w: got %d %s, order is %d %s", ErrAmountMismatch, n.AmountMinor, n.Currency, o.AmountMinor, o.Currency)
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		switch o.Status {
		case Pending:
			o.Status, o.PaidAt, o.Provider, o.providerTxn = Paid, &now, n.Provider, n.TransactionID
			txn.Outcome = string(OutcomePaid)
			confirm = true
		case Expired, Cancelled:
			// Every line again, or none (a late payment respects each
			// product's per-user limit).
			code, err := s.reinstateAll(ctx, *o, stock.StateConfirmed, true, now)
			if err != nil {
				return err
			}
			o.Provider, o.providerTxn = n.Provider, n.TransactionID
			switch code {
			case stock.Done, stock.Already:
				o.Status, o.PaidAt = Paid, &now
				txn.Outcome = string(OutcomePaidLate)
			case stock.Limit:
				// The buyer bought up to the limit meanwhile.
				o.Status = Refunded
				txn.Outcome = string(OutcomeRefundedLimit)
				refund = true
			default:
				o.Status = Refunded
				txn.Outcome = string(OutcomeRefundedLate)
				refund = true
			}
		default:
			txn.Outcome = string(OutcomeDuplicateRefund)
			refund = true
		}
		return nil
	})
	if errors.Is(err, ErrDuplicate) {
		o, gerr := s.store.Get(ctx, pay.OrderID)
		if gerr != nil {
			return Order{}, OutcomeDuplicate, gerr
		}
		return o, OutcomeDuplicate, nil
	}
	if err != nil {
		return Order{}, "", err
	}
	if confirm && IsTicket(o.ProductID) {
		if t := s.tickets.get(); t != nil {
			if err := t.Confirm(ctx, o); err != nil {
				s.log.Warn("ticket confirm failed", "order", o.ID, "err", err)
			}
		}
		confirm = false
	}
	if confirm {
		for _, l := range o.Items() {
			field := stock.Field(o.ID, l.SKU)
			res, err := s.stock.Confirm(ctx, l.ProductID, field)
			if err != nil {
				s.log.Warn("stock confirm failed; reconcile will retry", "order", o.ID, "product", l.ProductID, "err", err)
			} else if res.Code != stock.Done && res.Code != stock.Already {
				// Lost or released reservation of an order that was PENDING:
				// take the units again as paid.
				if r2, err := s.stock.Reinstate(ctx, l.ProductID, field, o.UserID, l.Quantity, stock.StateConfirmed, s.now()); err != nil || (r2.Code != stock.Done && r2.Code != stock.Already) {
					s.log.Error("paid order has no stock in Redis", "order", o.ID, "product", l.ProductID, "code", r2.Code, "err", err)
				}
			}
		}
	}
	if refund {
		prov := s.providers[n.Provider]
		if err := prov.Refund(ctx, payment.Refund{OrderID: o.ID, PaymentID: pay.ID, TransactionID: n.TransactionID, ProviderRef: pay.ProviderRef,
			AmountMinor: n.AmountMinor, Currency: n.Currency, Reason: txn.Outcome}); err != nil {
			s.log.Error("provider refund failed; refund by hand", "order", o.ID, "provider", n.Provider, "err", err)
		}
	}
	s.log.Info("payment applied", "order", o.ID, "provider", n.Provider, "outcome", txn.Outcome)
	return o, Outcome(txn.Outcome), nil
}

// Refund refunds a PAID order through its provider and returns the stock
// of every line; any other state is ErrBadState. On one node, concurrent
// calls for one order are serialised, so the provider is asked once.
func (s *Payments) Refund(ctx context.Context, id, reason string) (Order, error) {
	mu := &s.payLocks[stripe(id)]
	mu.Lock()
	defer mu.Unlock()
	o, err := s.store.Get(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if o.Status != Paid {
		return Order{}, fmt.Errorf("%w: only a paid order can be refunded (it is %s)", ErrBadState, o.Status)
	}
	prov, ok := s.providers[o.Provider]
	if !ok {
		return Order{}, fmt.Errorf("%w: provider %q is not configured", ErrInvalid, o.Provider)
	}
	if err := prov.Refund(ctx, payment.Refund{OrderID: o.ID, TransactionID: o.providerTxn, AmountMinor: o.AmountMinor, Currency: o.Currency, Reason: reason}); err != nil {
		return Order{}, fmt.Errorf("order: %s refund: %w", o.Provider, err)
	}
	o, err = s.store.UpdateOrder(ctx, id, func(o *Order) error {
		if o.Status != Paid {
			return fmt.Errorf("%w: it is %s", ErrBadState, o.Status)
		}
		o.Status = Refunded
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	s.release(ctx, o, true)
	return o, nil
}

// RefundOnce is Refund that answers an order already REFUNDED as it is,
// without asking the provider again: the admin's button may be pressed
// twice, a retried request refunds once.
func (s *Payments) RefundOnce(ctx context.Context, id, reason string) (Order, error) {
	o, err := s.Refund(ctx, id, reason)
	if errors.Is(err, ErrBadState) {
		if cur, gerr := s.store.Get(ctx, id); gerr == nil && cur.Status == Refunded {
			return cur, nil
		}
	}
	return o, err
}
