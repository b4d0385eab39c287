package order

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/stock"
)

// TicketPrefix starts the product id of a ticket order
// ("ticket:<tier id>"). A ticket order is one more kind of order in the
// same store, paid through the same providers and callbacks; its stock and
// its effects (the entitlement) belong to the presale capability, reached
// through Tickets. The colon cannot occur in a catalogue product id, so
// the two kinds never meet.
const TicketPrefix = "ticket:"

// IsTicket reports whether an order of product is a ticket order.
func IsTicket(product string) bool { return strings.HasPrefix(product, TicketPrefix) }

// Tickets is the ticket order kind's side (commerce/presale), declared here
// where the order rules call it.
type Tickets interface {
	// InTx runs inside the transaction of every status change of a ticket
	// order (o is the new state, from the old one); its writes commit with
	// the change, its error rolls the change back.
	InTx(ctx context.Context, tx *sql.Tx, from Status, o Order) error
	// Confirm marks o's place as paid in Redis, after the commit.
	Confirm(ctx context.Context, o Order) error
	// Release gives o's place back (an expired, cancelled or refunded order).
	Release(ctx context.Context, o Order, paid bool) error
	// Reinstate takes o's place again for a late payment, at the price step
	// o was sold at (stock.Done or stock.Already: taken; anything else: none left).
	Reinstate(ctx context.Context, o Order, state stock.State) (stock.Code, error)
}

// UseTickets makes t the ticket order kind of s. It may be called while
// the sweeper already runs (the presale is composed after commerce
// starts); ticket orders the sweeper expired before are repaired by the
// presale's own sweep.
func (s *Service) UseTickets(t Tickets) {
	s.tickets.set(t)
	s.store.tickets.set(t)
}

// ticketHook holds the ticket order kind, set once while goroutines may read it.
type ticketHook struct{ p atomic.Pointer[Tickets] }

func (h *ticketHook) set(t Tickets) { h.p.Store(&t) }

func (h *ticketHook) get() Tickets {
	if p := h.p.Load(); p != nil {
		return *p
	}
	return nil
}

// SetIdempotency sets the idempotency key and request hash of a new order
// that another capability builds (a ticket order) before Store.Insert: a
// retry with the same key clashes on (user, key) instead of buying twice.
func (o *Order) SetIdempotency(key, hash string) {
	o.idemKey, o.requestHash = key, hash
}

// ticketInTx runs the ticket hook of a status change, if o is a ticket order.
func (s *Store) ticketInTx(ctx context.Context, tx *sql.Tx, from Status, o Order) error {
	t := s.tickets.get()
	if t == nil || !IsTicket(o.ProductID) {
		return nil
	}
	return t.InTx(ctx, tx, from, o)
}

// RefundPart refunds amount of paid order id through its provider without
// changing the order (a referral reward paid back on the referrer's
// ticket). amount must be positive and below the order's amount.
func (s *Payments) RefundPart(ctx context.Context, id string, amount int64, reason string) error {
	o, err := s.store.Get(ctx, id)
	if err != nil {
		return err
	}
	if o.Status != Paid {
		return fmt.Errorf("%w: only a paid order can be refunded in part (it is %s)", ErrBadState, o.Status)
	}
	if amount <= 0 || amount >= o.AmountMinor {
		return fmt.Errorf("%w: a part refund is positive and below the order's amount", ErrInvalid)
	}
	prov, ok := s.providers[o.Provider]
	if !ok {
		return fmt.Errorf("%w: provider %q is not configured", ErrInvalid, o.Provider)
	}
	if err := prov.Refund(ctx, payment.Refund{OrderID: o.ID, TransactionID: o.providerTxn, AmountMinor: amount, Currency: o.Currency, Reason: reason}); err != nil {
		return fmt.Errorf("order: %s part refund: %w", o.Provider, err)
	}
	s.log.Info("order refunded in part", "order", o.ID, "amount", amount, "reason", reason)
	return nil
}
