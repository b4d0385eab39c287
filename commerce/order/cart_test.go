package order_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// variantProduct makes a product with variants sku → stock (the variant
// stock also goes to Redis, as the admin API does).
func (e *env) variantProduct(t *testing.T, limit int, skus map[string]int64) catalog.Product {
	t.Helper()
	ctx := context.Background()
	p, err := e.cat.Create(ctx, catalog.Product{Title: "Shirt", PriceMinor: 3000, Currency: "usd", PerUserLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.LoadStock(ctx, p.ID, 0); err != nil {
		t.Fatal(err)
	}
	pos := 0
	for sku, n := range skus {
		p, _, err = e.cat.PutVariant(ctx, p.ID, catalog.Variant{SKU: sku, Title: "Size " + sku, PriceMinor: 3000 + int64(pos), StockTotal: n, Position: pos},
			func(int64, bool) error { _, err := e.stock.Admin.SetVariantTotal(ctx, p.ID, sku, n); return err })
		if err != nil {
			t.Fatal(err)
		}
		pos++
	}
	e.cache.Forget(p.ID, "")
	return p
}

func (e *env) variantLeft(t *testing.T, product, sku string) int64 {
	t.Helper()
	m, err := e.stock.VariantAvail(context.Background(), product)
	if err != nil {
		t.Fatal(err)
	}
	return m[sku]
}

func lineErr(t *testing.T, err error, index int, want error) {
	t.Helper()
	var le *order.LineError
	if !errors.As(err, &le) || le.Index != index || !errors.Is(err, want) {
		t.Fatalf("error %v; want line %d refused with %v", err, index+1, want)
	}
}

// TestCartAllOrNothing: a cart reserves every line or none, and a refusal
// names the line and why (stock of a variant, per-user limit of a product
// summed over its lines, the unpaid cap).
func TestCartAllOrNothing(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{UnpaidPerUser: 6})
		ctx := context.Background()
		tea := e.product(t, 5, 0)
		shirt := e.variantProduct(t, 3, map[string]int64{"M": 2, "L": 2})
		cart := func(user string, lines ...order.CartLine) (order.Order, error) {
			o, _, err := e.svc.CreateCart(ctx, user, "", order.CartRequest{Lines: lines})
			return o, err
		}
		o, err := cart("u1", order.CartLine{ProductID: tea.ID, Quantity: 2}, order.CartLine{ProductID: shirt.ID, SKU: "M", Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Lines) != 2 || o.Quantity != 4 || o.AmountMinor != 2*1999+2*o.Lines[1].UnitPriceMinor || o.Lines[1].VariantTitle != "Size M" {
			t.Fatalf("cart order %+v", o)
		}
		if a, m, l := e.avail(t, tea.ID), e.variantLeft(t, shirt.ID, "M"), e.variantLeft(t, shirt.ID, "L"); a != 3 || m != 0 || l != 2 {
			t.Fatalf("after the cart: tea %d, M %d, L %d; want 3 0 2", a, m, l)
		}
		// M is sold out: the whole cart is refused and tea keeps its 3.
		_, err = cart("u2", order.CartLine{ProductID: tea.ID}, order.CartLine{ProductID: shirt.ID, SKU: "M"})
		lineErr(t, err, 1, order.ErrSoldOut)
		if a := e.avail(t, tea.ID); a != 3 {
			t.Fatalf("tea %d after a refused cart; want 3 (no partial reservation)", a)
		}
		// The shirt's per-user limit (3) counts u1's 2 units of M with L.
		_, err = cart("u1", order.CartLine{ProductID: tea.ID}, order.CartLine{ProductID: shirt.ID, SKU: "L", Quantity: 1}, order.CartLine{ProductID: shirt.ID, SKU: "L"})
		lineErr(t, err, 1, order.ErrLimit) // merged into one L line of 2
		// The unpaid cap (6 per user per product) of tea: u3 holds 0.
		_, err = cart("u3", order.CartLine{ProductID: shirt.ID, SKU: "L"}, order.CartLine{ProductID: tea.ID, Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		e2 := newEnv(t, b, ns, order.Options{UnpaidPerUser: 1})
		capped := e.product(t, 5, 0)
		_, _, err = e2.svc.CreateCart(ctx, "u4", "", order.CartRequest{Lines: []order.CartLine{{ProductID: capped.ID, Quantity: 2}}})
		lineErr(t, err, 0, order.ErrUnpaidLimit)
		// The per-address cap counts the lines of every user from one address.
		e3 := newEnv(t, b, ns, order.Options{UnpaidPerAddr: 3})
		if _, _, err := e3.svc.CreateCart(ctx, "u7", "", order.CartRequest{Lines: []order.CartLine{{ProductID: capped.ID, Quantity: 2}}, Addr: "198.51.100.9"}); err != nil {
			t.Fatal(err)
		}
		mug := e.product(t, 5, 0)
		_, _, err = e3.svc.CreateCart(ctx, "u8", "", order.CartRequest{Lines: []order.CartLine{{ProductID: mug.ID}, {ProductID: capped.ID, Quantity: 2}}, Addr: "198.51.100.9"})
		lineErr(t, err, 1, order.ErrUnpaidLimit)
		if _, _, err := e3.svc.CreateCart(ctx, "u8", "", order.CartRequest{Lines: []order.CartLine{{ProductID: capped.ID, Quantity: 2}}, Addr: "203.0.113.1"}); err != nil {
			t.Fatalf("another address: %v", err)
		}
		if a := e.avail(t, mug.ID); a != 5 {
			t.Fatalf("mug %d after a cart refused on its second line; want 5", a)
		}
		// Variant rules.
		_, err = cart("u5", order.CartLine{ProductID: shirt.ID})
		lineErr(t, err, 0, order.ErrInvalid)
		_, err = cart("u5", order.CartLine{ProductID: tea.ID, SKU: "M"})
		lineErr(t, err, 0, order.ErrInvalid)
		_, err = cart("u5", order.CartLine{ProductID: shirt.ID, SKU: "XXL"})
		lineErr(t, err, 0, catalog.ErrNotFound)
		if _, _, err := e.svc.Create(ctx, "u5", "", order.Request{ProductID: shirt.ID}); !errors.Is(err, order.ErrInvalid) {
			t.Fatalf("a product with variants ordered without sku: %v", err)
		}
		if _, _, err := e.svc.CreateCart(ctx, "u5", "", order.CartRequest{}); !errors.Is(err, order.ErrInvalid) {
			t.Fatalf("empty cart: %v", err)
		}
		if a := e.avail(t, tea.ID); a != 0 {
			t.Fatalf("tea %d; want 0", a)
		}
		// The same idempotency key names the same cart order.
		tea2 := e.product(t, 4, 0)
		req := order.CartRequest{Lines: []order.CartLine{{ProductID: tea2.ID, Quantity: 1}, {ProductID: shirt.ID, SKU: "M", Quantity: 1}}}
		if _, _, err := e.svc.CreateCart(ctx, "u6", "k1", req); !errors.Is(err, order.ErrSoldOut) {
			t.Fatalf("M is sold out: %v", err)
		}
		req.Lines[1] = order.CartLine{ProductID: tea.ID, Quantity: 0}
		req.Lines = req.Lines[:1]
		first, created, err := e.svc.CreateCart(ctx, "u6", "k2", req)
		if err != nil || !created {
			t.Fatal(created, err)
		}
		again, created, err := e.svc.CreateCart(ctx, "u6", "k2", req)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("retry: %v %v %v", again.ID, created, err)
		}
		req.Lines[0].Quantity = 2
		if _, _, err := e.svc.CreateCart(ctx, "u6", "k2", req); !errors.Is(err, order.ErrIdempotencyReuse) {
			t.Fatalf("key reused for another cart: %v", err)
		}
		soldOut := order.CartRequest{Lines: []order.CartLine{{ProductID: shirt.ID, SKU: "M"}}}
		if _, _, err := e.svc.CreateCart(ctx, "u6", "k2", soldOut); !errors.Is(err, order.ErrIdempotencyReuse) {
			t.Fatalf("key reused for a sold-out cart: %v", err)
		}
		if a := e.avail(t, tea2.ID); a != 3 {
			t.Fatalf("tea2 %d; want 3", a)
		}
	})
}

// TestCartReturnsEveryLineOnce: cancel, expiry and a failed payment give
// back every line's units exactly once; payment confirms every line and a
// refund returns them; a Redis rebuilt from SQL has the same variant stock.
func TestCartReturnsEveryLineOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		ctx := context.Background()
		tea := e.product(t, 10, 0)
		shirt := e.variantProduct(t, 0, map[string]int64{"M": 5, "L": 5})
		lines := []order.CartLine{{ProductID: tea.ID, Quantity: 2}, {ProductID: shirt.ID, SKU: "M", Quantity: 1}, {ProductID: shirt.ID, SKU: "L", Quantity: 3}}
		check := func(what string, teaLeft, m, l int64) {
			t.Helper()
			if a, gm, gl := e.avail(t, tea.ID), e.variantLeft(t, shirt.ID, "M"), e.variantLeft(t, shirt.ID, "L"); a != teaLeft || gm != m || gl != l {
				t.Fatalf("%s: tea %d M %d L %d; want %d %d %d", what, a, gm, gl, teaLeft, m, l)
			}
			if a := e.avail(t, shirt.ID); a != m+l {
				t.Fatalf("%s: shirt %d; want %d (the sum of its variants)", what, a, m+l)
			}
		}
		newCart := func(user string) order.Order {
			o, _, err := e.svc.CreateCart(ctx, user, "", order.CartRequest{Lines: lines})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		// Cancel, twice.
		o := newCart("u1")
		check("held", 8, 4, 2)
		if _, err := e.svc.Cancel(ctx, o.ID, "u1", false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(ctx, o.ID, "u1", false); !errors.Is(err, order.ErrBadState) {
			t.Fatalf("second cancel: %v", err)
		}
		check("cancelled", 10, 5, 5)
		// A failed payment cancels at once.
		o = newCart("u2")
		payID := e.pay(t, o)
		if got, oc, err := e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: payID, TransactionID: "f1"}); err != nil || oc != order.OutcomeFailed || got.Status != order.Cancelled {
			t.Fatalf("failed payment: %v %v %v", got.Status, oc, err)
		}
		check("failed payment", 10, 5, 5)
		// Expiry, swept twice.
		o = newCart("u3")
		later := time.Now().Add(time.Hour)
		if n, err := e.svc.Maintenance.Sweep(ctx, later); err != nil || n != 1 {
			t.Fatalf("swept %d %v", n, err)
		}
		if n, _ := e.svc.Maintenance.Sweep(ctx, later); n != 0 {
			t.Fatalf("swept again %d", n)
		}
		if _, err := e.svc.Maintenance.Reconcile(ctx, later); err != nil {
			t.Fatal(err)
		}
		check("expired", 10, 5, 5)
		// Paid: every line confirmed; SQL rebuilds the same stock.
		o = newCart("u4")
		payID = e.pay(t, o)
		if got, oc, err := e.svc.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: payID, TransactionID: "p1", Paid: true, AmountMinor: o.AmountMinor, Currency: "USD"}); err != nil || oc != order.OutcomePaid || got.Status != order.Paid {
			t.Fatalf("payment: %v %v %v", got.Status, oc, err)
		}
		for _, l := range o.Lines {
			st, err := e.stock.Ledger.States(ctx, l.ProductID, stock.Field(o.ID, l.SKU))
			if err != nil || st[0] != stock.StateConfirmed {
				t.Fatalf("line %s/%s state %q %v; want confirmed", l.ProductID, l.SKU, st, err)
			}
		}
		check("paid", 8, 4, 2)
		for _, p := range []catalog.Product{tea, shirt} {
			if err := e.stock.Admin.Forget(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := e.svc.Maintenance.Reconcile(ctx, time.Now())
		if err != nil || rep.Loaded < 2 {
			t.Fatalf("reconcile %+v %v", rep, err)
		}
		check("rebuilt from SQL", 8, 4, 2)
		// Refund returns every line, once (RefundOnce answers the second).
		if _, err := e.svc.Payments.Refund(ctx, o.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if got, err := e.svc.Payments.RefundOnce(ctx, o.ID, "again"); err != nil || got.Status != order.Refunded {
			t.Fatalf("second refund: %v %v", got.Status, err)
		}
		check("refunded", 10, 5, 5)
	})
}

// TestCartRaceOverLastUnits: many buyers race carts over the last units of
// a product and of a variant: no oversell, and every order holds all its
// lines while every refused cart holds none.
func TestCartRaceOverLastUnits(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		ctx := context.Background()
		tea := e.product(t, 7, 0)
		shirt := e.variantProduct(t, 0, map[string]int64{"M": 4, "L": 50})
		const buyers = 40
		type result struct {
			o   order.Order
			err error
		}
		results := make([]result, buyers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < buyers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				lines := []order.CartLine{{ProductID: shirt.ID, SKU: "L", Quantity: 1}, {ProductID: tea.ID, Quantity: 1 + i%2}}
				if i%3 == 0 {
					lines = append(lines, order.CartLine{ProductID: shirt.ID, SKU: "M", Quantity: 1})
				}
				o, _, err := e.svc.CreateCart(ctx, fmt.Sprintf("racer%d", i), "", order.CartRequest{Lines: lines})
				results[i] = result{o, err}
			}(i)
		}
		close(start)
		wg.Wait()
		var soldTea, soldM, soldL int64
		for i, r := range results {
			var le *order.LineError
			if r.err != nil {
				if !errors.As(r.err, &le) || !errors.Is(r.err, order.ErrSoldOut) {
					t.Fatalf("buyer %d: %v", i, r.err)
				}
				// A refused cart holds nothing, in any product.
				for _, p := range []string{tea.ID, shirt.ID} {
					held, err := e.stock.UserHeld(ctx, p, fmt.Sprintf("racer%d", i))
					if err != nil || held != 0 {
						t.Fatalf("refused buyer %d holds %d of %s (%v)", i, held, p, err)
					}
				}
				continue
			}
			for _, l := range r.o.Lines {
				st, err := e.stock.Ledger.States(ctx, l.ProductID, stock.Field(r.o.ID, l.SKU))
				if err != nil || st[0] != stock.StateReserved {
					t.Fatalf("buyer %d line %s/%s state %q %v", i, l.ProductID, l.SKU, st, err)
				}
				switch {
				case l.ProductID == tea.ID:
					soldTea += int64(l.Quantity)
				case l.SKU == "M":
					soldM += int64(l.Quantity)
				default:
					soldL += int64(l.Quantity)
				}
			}
		}
		if soldTea > 7 || soldM > 4 {
			t.Fatalf("oversold: tea %d of 7, M %d of 4", soldTea, soldM)
		}
		if left := e.avail(t, tea.ID); left+soldTea != 7 {
			t.Fatalf("tea: %d left + %d sold != 7", left, soldTea)
		}
		if m, l := e.variantLeft(t, shirt.ID, "M"), e.variantLeft(t, shirt.ID, "L"); m+soldM != 4 || l+soldL != 50 {
			t.Fatalf("shirt: M %d+%d, L %d+%d", m, soldM, l, soldL)
		}
		if e.avail(t, tea.ID) > 1 {
			t.Fatalf("tea left %d although buyers wanted more (the race should sell out)", e.avail(t, tea.ID))
		}
	})
}

// TestCartCrashBeforeInsert: a node that dies between the cart's
// reservation and its row strands nothing: reconcile releases every line
// once the grace period has passed, and a retry with the same key before
// that finishes the order.
func TestCartCrashBeforeInsert(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		crash := order.Options{Grace: time.Second, AfterReserve: func(context.Context, string) error { return order.ErrCrashed }}
		e := newEnv(t, b, ns, crash)
		ctx := context.Background()
		tea := e.product(t, 3, 0)
		shirt := e.variantProduct(t, 0, map[string]int64{"M": 2})
		req := order.CartRequest{Lines: []order.CartLine{{ProductID: tea.ID, Quantity: 2}, {ProductID: shirt.ID, SKU: "M", Quantity: 2}}, Addr: "192.0.2.7"}
		if _, _, err := e.svc.CreateCart(ctx, "u1", "k1", req); !errors.Is(err, order.ErrCrashed) {
			t.Fatalf("crash: %v", err)
		}
		if a, m := e.avail(t, tea.ID), e.variantLeft(t, shirt.ID, "M"); a != 1 || m != 0 {
			t.Fatalf("held by the crashed cart: tea %d M %d", a, m)
		}
		// Another buyer's cart over the same units is refused whole.
		if _, _, err := e.svc.CreateCart(ctx, "u2", "", order.CartRequest{Lines: []order.CartLine{{ProductID: tea.ID}, {ProductID: shirt.ID, SKU: "M"}}}); !errors.Is(err, order.ErrSoldOut) {
			t.Fatalf("u2: %v", err)
		}
		if a := e.avail(t, tea.ID); a != 1 {
			t.Fatalf("tea %d after u2's refused cart", a)
		}
		// Reconcile after the grace period gives every line back, once.
		healthy := e.restart(t, order.Options{Grace: time.Second})
		for i := 0; i < 2; i++ {
			rep, err := healthy.Maintenance.Reconcile(ctx, time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if want := map[int]int{0: 2, 1: 0}[i]; rep.Released != want {
				t.Fatalf("pass %d released %d; want %d", i+1, rep.Released, want)
			}
		}
		if a, m := e.avail(t, tea.ID), e.variantLeft(t, shirt.ID, "M"); a != 3 || m != 2 {
			t.Fatalf("after reconcile: tea %d M %d; want 3 2", a, m)
		}
		for _, p := range []string{tea.ID, shirt.ID} {
			byUser, byAddr, err := e.stock.UnpaidHeld(ctx, p, "u1", "192.0.2.7")
			if err != nil || byUser != 0 || byAddr != 0 {
				t.Fatalf("unpaid holds left on %s: user %d addr %d %v", p, byUser, byAddr, err)
			}
		}
		// A retry with the key before reconcile finishes the order instead.
		if _, _, err := e.svc.CreateCart(ctx, "u3", "k2", req); !errors.Is(err, order.ErrCrashed) {
			t.Fatalf("crash 2: %v", err)
		}
		o, created, err := healthy.CreateCart(ctx, "u3", "k2", req)
		if err != nil || !created || len(o.Lines) != 2 {
			t.Fatalf("retry after the crash: %+v %v %v", o, created, err)
		}
		if a, m := e.avail(t, tea.ID), e.variantLeft(t, shirt.ID, "M"); a != 1 || m != 0 {
			t.Fatalf("after the retry: tea %d M %d; want 1 0 (reserved once)", a, m)
		}
	})
}

// TestCartAndSingleOrdersRace: carts and one-product orders race over the
// same last units through the two scripts: never more sold than stocked.
func TestCartAndSingleOrdersRace(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		ctx := context.Background()
		tea := e.product(t, 5, 0)
		cup := e.product(t, 100, 0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		sold, carts := int64(0), int64(0)
		start := make(chan struct{})
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				user := fmt.Sprintf("b%d", i)
				var o order.Order
				var err error
				if i%2 == 0 {
					o, _, err = e.svc.Create(ctx, user, "", order.Request{ProductID: tea.ID})
				} else {
					o, _, err = e.svc.CreateCart(ctx, user, "", order.CartRequest{Lines: []order.CartLine{{ProductID: cup.ID}, {ProductID: tea.ID}}})
				}
				if err != nil && !errors.Is(err, order.ErrSoldOut) {
					t.Errorf("buyer %d: %v", i, err)
					return
				}
				if err == nil {
					mu.Lock()
					if len(o.Lines) > 0 {
						carts++
					}
					for _, l := range o.Items() {
						if l.ProductID == tea.ID {
							sold += int64(l.Quantity)
						}
					}
					mu.Unlock()
				}
			}(i)
		}
		close(start)
		wg.Wait()
		if left := e.avail(t, tea.ID); sold != 5 || left != 0 {
			t.Fatalf("tea sold %d, left %d; want 5 and 0", sold, left)
		}
		if n := e.count(t, `SELECT count(*) FROM commerce_orders WHERE status = 'PENDING'`); n != 5 {
			t.Fatalf("%d pending orders; want 5", n)
		}
		if cl := e.avail(t, cup.ID); cl != 100-carts {
			t.Fatalf("cups left %d with %d carts placed: a refused cart kept its cup", cl, carts)
		}
	})
}

// TestReconcileVariantTotals: a variant total Redis got wrong (its SQL
// change failed after the Redis step) is set back from SQL, and the
// product's total with it.
func TestReconcileVariantTotals(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		e := newEnv(t, b, ns, order.Options{})
		ctx := context.Background()
		shirt := e.variantProduct(t, 0, map[string]int64{"M": 4, "L": 2})
		if _, _, err := e.svc.CreateCart(ctx, "u1", "", order.CartRequest{Lines: []order.CartLine{{ProductID: shirt.ID, SKU: "M"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.stock.Admin.SetVariantTotal(ctx, shirt.ID, "M", 9); err != nil { // SQL still says 4
			t.Fatal(err)
		}
		rep, err := e.svc.Maintenance.Reconcile(ctx, time.Now())
		if err != nil || rep.Retotalled != 1 {
			t.Fatalf("reconcile %+v %v", rep, err)
		}
		if m, l, all := e.variantLeft(t, shirt.ID, "M"), e.variantLeft(t, shirt.ID, "L"), e.avail(t, shirt.ID); m != 3 || l != 2 || all != 5 {
			t.Fatalf("after reconcile: M %d L %d product %d; want 3 2 5", m, l, all)
		}
		if rep, _ := e.svc.Maintenance.Reconcile(ctx, time.Now()); rep.Retotalled != 0 {
			t.Fatalf("second pass %+v", rep)
		}
	})
}
