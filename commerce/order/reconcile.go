package order

import (
	"context"
	"errors"
	"time"

	"github.com/livesell/livesell/commerce/stock"
)

// Report counts what one reconcile pass repaired.
type Report struct {
	Loaded     int // products whose Redis stock was rebuilt from SQL
	Retotalled int // products whose Redis total differed from SQL
	Released   int // stale reservations without a live order, released
	Confirmed  int // reservations of paid orders confirmed
	Reinstated int // pending orders whose reservation was missing, re-reserved
	Expired    int // pending orders without reservation and stock, expired
	Forgotten  int // records of released reservations of finished orders, deleted
	// LateReleased counts paid (C) reservations a late payment's reinstate
	// wrote whose SQL transaction never committed (a crash in between):
	// their units are returned.
	LateReleased int
}

// Reconcile makes Redis agree with SQL, the source of truth: it loads
// missing product stock, releases reservations older than the grace period
// that have no live order (a crash between reserve and insert), confirms
// those of paid orders, and re-reserves (or, without stock, expires)
// pending orders whose reservation is missing.
func (s *Maintenance) Reconcile(ctx context.Context, now time.Time) (Report, error) {
	var rep Report
	totals, err := s.catalog.StockTotals(ctx)
	if err != nil {
		return rep, err
	}
	for product, total := range totals {
		_, rtotal, ok, err := s.stock.Avail(ctx, product)
		if err != nil {
			return rep, err
		}
		if !ok {
			if err := s.loadStock(ctx, product, total); err != nil {
				return rep, err
			}
			rep.Loaded++
		} else if n, err := s.reconcileVariants(ctx, product); err != nil {
			return rep, err
		} else if n > 0 {
			rep.Retotalled += n
		} else if rtotal != total {
			if _, err := s.stock.Admin.SetTotal(ctx, product, total); err != nil && !errors.Is(err, stock.ErrBelowHeld) {
				return rep, err
			}
			rep.Retotalled++
		}
		stale, err := s.stock.Ledger.Stale(ctx, product, now.Add(-s.opt.Grace), 1000)
		if err != nil {
			return rep, err
		}
		statuses, err := s.store.Statuses(ctx, ordersOf(stale))
		if err != nil {
			return rep, err
		}
		for _, id := range stale { // a reservation: an order id, or a cart line's "<order>@<sku>"
			st, exists := statuses[stock.OrderOf(id)]
			switch {
			case !exists || st == Expired || st == Cancelled || st == Refunded:
				res, err := s.stock.Release(ctx, product, id, false)
				if err != nil {
					return rep, err
				}
				if res.Code == stock.Done {
					rep.Released++
					s.opt.StockChanged(product, res.Avail)
					s.log.Info("reconcile released a reservation", "order", id, "has_row", exists)
				}
			case st == Paid || st == Shipped || st == Completed:
				if res, err := s.stock.Confirm(ctx, product, id); err == nil && res.Code == stock.Done {
					rep.Confirmed++
				}
			}
		}
	}
	for product := range totals {
		n, err := s.settleLate(ctx, product, now.Add(-s.opt.Grace))
		if err != nil {
			return rep, err
		}
		rep.LateReleased += n
	}
	for product := range totals {
		n, err := s.forgetFinished(ctx, product)
		if err != nil {
			return rep, err
		}
		rep.Forgotten += n
	}
	pending, err := s.store.PendingOrders(ctx, now.Add(-s.opt.Grace), 10000)
	if err != nil {
		return rep, err
	}
	for _, o := range pending {
		if IsTicket(o.ProductID) {
			continue // presale keeps its own places (commerce/presale)
		}
		missing := false
		for _, l := range o.Items() {
			states, err := s.stock.Ledger.States(ctx, l.ProductID, stock.Field(o.ID, l.SKU))
			if err != nil {
				return rep, err
			}
			if states[0] != stock.StateReserved && states[0] != stock.StateConfirmed {
				missing = true
			}
		}
		if !missing {
			continue
		}
		code, err := s.reinstateAll(ctx, o, stock.StateReserved, false, now)
		if err != nil {
			return rep, err
		}
		if code == stock.Done || code == stock.Already {
			rep.Reinstated++
			continue
		}
		s.release(ctx, o, false) // lines still held before the expiry below
		if _, err := s.store.UpdateOrder(ctx, o.ID, func(x *Order) error {
			if x.Status != Pending {
				return ErrBadState
			}
			x.Status = Expired
			return nil
		}); err != nil && !errors.Is(err, ErrBadState) {
			return rep, err
		}
		rep.Expired++
		s.log.Warn("reconcile expired a pending order whose stock was gone", "order", o.ID)
	}
	return rep, nil
}

// settleLate checks the reservations reinstate wrote straight as paid
// before t against SQL: an order that is paid keeps them; one that is not
// (the late payment's transaction never committed, or it was refunded
// since) gives its units back. Either way the record leaves the late set.
func (s *Maintenance) settleLate(ctx context.Context, product string, before time.Time) (int, error) {
	late, err := s.stock.Ledger.Late(ctx, product, before, 1000)
	if err != nil || len(late) == 0 {
		return 0, err
	}
	statuses, err := s.store.Statuses(ctx, ordersOf(late))
	if err != nil {
		return 0, err
	}
	released := 0
	for _, id := range late {
		switch statuses[stock.OrderOf(id)] {
		case Paid, Shipped, Completed, Pending:
			continue
		}
		res, err := s.stock.Release(ctx, product, id, true)
		if err != nil {
			return released, err
		}
		if res.Code == stock.Done {
			released++
			s.opt.StockChanged(product, res.Avail)
			s.log.Warn("reconcile returned the stock of a paid reservation no paid order backs", "order", id, "status", statuses[stock.OrderOf(id)])
		}
	}
	return released, s.stock.Ledger.Settled(ctx, product, late...)
}

// RunReconciler reconciles every interval until ctx is done.
func (s *Maintenance) RunReconciler(ctx context.Context, every time.Duration) {
	runEvery(ctx, every, func() {
		if rep, err := s.Reconcile(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("reconcile", "err", err)
		} else if rep != (Report{}) {
			s.log.Info("reconcile repaired", "report", rep)
		}
	})
}

// runEvery calls fn every interval until ctx is done.
func runEvery(ctx context.Context, every time.Duration, fn func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// forgetFinished deletes the Redis records of released reservations whose
// orders are finished for good in SQL (expired, cancelled, refunded, or
// never written). A late payment or retry after that finds no record and
// behaves as for a released one.
func (s *Maintenance) forgetFinished(ctx context.Context, product string) (int, error) {
	total := 0
	var cursor uint64
	for i := 0; i < 100; i++ { // bounded work per pass
		released, next, err := s.stock.Ledger.Released(ctx, product, cursor, 500)
		if err != nil {
			return total, err
		}
		if len(released) > 0 {
			statuses, err := s.store.Statuses(ctx, ordersOf(released))
			if err != nil {
				return total, err
			}
			var done []string
			for _, id := range released {
				if st, ok := statuses[stock.OrderOf(id)]; !ok || st == Expired || st == Cancelled || st == Refunded {
					done = append(done, id)
				}
			}
			n, err := s.stock.Ledger.ForgetReleased(ctx, product, done)
			if err != nil {
				return total, err
			}
			total += int(n)
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	return total, nil
}

// ordersOf is the distinct order ids of reservations (cart lines name
// "<order>@<sku>").
func ordersOf(reservations []string) []string {
	out := make([]string, 0, len(reservations))
	seen := make(map[string]bool, len(reservations))
	for _, r := range reservations {
		if id := stock.OrderOf(r); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// reconcileVariants makes Redis's total of each variant of product agree
// with SQL (a variant change whose SQL transaction failed after its Redis
// step); the product's total moves with them. It answers how many it
// changed.
func (s *Maintenance) reconcileVariants(ctx context.Context, product string) (int, error) {
	vs, err := s.variants(ctx, product)
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	have, err := s.stock.Admin.VariantTotals(ctx, product)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range vs {
		if t, ok := have[v.SKU]; ok && t == v.StockTotal {
			continue
		}
		if _, err := s.stock.Admin.SetVariantTotal(ctx, product, v.SKU, v.StockTotal); err != nil && !errors.Is(err, stock.ErrBelowHeld) {
			return n, err
		}
		n++
		s.log.Warn("reconcile set a variant's stock from SQL", "product", product, "sku", v.SKU, "total", v.StockTotal)
	}
	return n, nil
}
