package order

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/internal/sqldb"
)

// Catalog is what orders need of the catalogue (cached reads).
type Catalog interface {
	Product(ctx context.Context, id string) (catalog.Product, error)
	// Presenting returns room's presented product, or nil.
	Presenting(ctx context.Context, room string) (*catalog.Presenting, error)
	// Products lists every product id and its total stock (for reconcile).
	StockTotals(ctx context.Context) (map[string]int64, error)
	// UpcomingSale reports whether a room announced a flash sale of
	// product that has not started at now.
	UpcomingSale(ctx context.Context, product string, now time.Time) (bool, error)
}

// Options configure a Service.
type Options struct {
	// TTL is how long an unpaid order holds its stock.
	TTL time.Duration
	// LiveTTL, when positive and shorter, is the TTL of orders of a
	// product at the price a room presents it at (live and flash sales).
	LiveTTL time.Duration
	// UnpaidPerUser and UnpaidPerAddr cap the units of one product held
	// unpaid by one user and from one client address (0 = no cap),
	// independently of the product's purchase limit. A request without an
	// address (Request.Addr "") is not counted per address.
	UnpaidPerUser int
	UnpaidPerAddr int
	// Grace is how old a Redis reservation without an order row must be
	// before reconcile releases it (covers an insert still in flight).
	Grace time.Duration
	// MaxQuantity bounds one order's units.
	MaxQuantity int
	// StockChanged, when set, is told the units left after each change.
	StockChanged func(product string, avail int64)
	// Discounts, when set, applies claimed coupons to orders that name them.
	Discounts Discounts
	// AfterReserve, when set, runs between the Redis reservation and the
	// SQL insert; an error aborts as a crash would (tests simulate one).
	AfterReserve func(ctx context.Context, orderID string) error
	Log          *slog.Logger
}

// core is what the order types share: the stores, the catalogue, the
// payment providers, the options and the clock, and the stock steps more
// than one of them takes (load, release, reinstate).
type core struct {
	store     *Store
	stock     *stock.Store
	catalog   Catalog
	providers map[string]payment.Provider
	opt       Options
	log       *slog.Logger
	now       func() time.Time
	tickets   ticketHook // the ticket order kind (kind.go), unset when none is sold
}

// Service runs the order rules over the stores. Its own methods order:
// create an order or a cart, cancel, advance, read. Payments applies
// payments (checkouts, provider notices, late payments, refunds);
// Maintenance sweeps expired orders and reconciles Redis with SQL.
type Service struct {
	*core
	// Payments applies payments to the service's orders.
	Payments *Payments
	// Maintenance sweeps and reconciles the service's orders.
	Maintenance *Maintenance
}

// Payments applies payments to orders: it starts checkouts, applies the
// providers' notices (late ones included) and refunds.
type Payments struct {
	*core
	orders   *Service // a failed payment cancels its order
	payLocks [payStripes]sync.Mutex
}

// Maintenance keeps orders and stock consistent in the background: the
// sweeper expires unpaid orders, the reconciler repairs Redis from SQL.
type Maintenance struct{ *core }

// NewService composes a Service.
func NewService(store *Store, st *stock.Store, cat Catalog, providers []payment.Provider, opt Options) *Service {
	if opt.TTL <= 0 {
		opt.TTL = 15 * time.Minute
	}
	if opt.Grace <= 0 {
		opt.Grace = 30 * time.Second
	}
	if opt.MaxQuantity <= 0 {
		opt.MaxQuantity = 100
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.StockChanged == nil {
		opt.StockChanged = func(string, int64) {}
	}
	pm := make(map[string]payment.Provider, len(providers))
	for _, p := range providers {
		pm[p.Name()] = p
	}
	c := &core{store: store, stock: st, catalog: cat, providers: pm, opt: opt, log: opt.Log, now: time.Now}
	s := &Service{core: c, Maintenance: &Maintenance{c}}
	s.Payments = &Payments{core: c, orders: s}
	return s
}

// Store is the service's SQL store.
func (s *Service) Store() *Store { return s.store }

// Provider returns the named provider.
func (s *Service) Provider(name string) (payment.Provider, bool) {
	p, ok := s.providers[name]
	return p, ok
}

// Providers lists the configured provider names.
func (s *Service) Providers() []string {
	out := make([]string, 0, len(s.providers))
	for n := range s.providers {
		out = append(out, n)
	}
	return out
}

// Request is a buyer's order request.
type Request struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
	Room      string `json:"room,omitempty"`
	// SKU, when set, names a variant of the product (the order is then a
	// cart of one line, see CreateCart).
	SKU string `json:"sku,omitempty"`
	// Addr is the buyer's client address for the per-address cap ("" = not
	// counted, e.g. a tool on the host); it is not part of the request's identity.
	Addr string `json:"-"`
	// Coupons are claim ids of the buyer's coupons to apply; BestCoupons
	// applies the best combination of the buyer's claimed coupons instead.
	Coupons     []string `json:"coupons,omitempty"`
	BestCoupons bool     `json:"best_coupons,omitempty"`
}

// hash identifies the request's body, to tell a retry from a reuse of its
// idempotency key. It is computed only off the sold-out path.
func (r Request) hash() string {
	h := sha256.Sum256([]byte(r.ProductID + "\x00" + strconv.Itoa(r.Quantity) + "\x00" + r.Room + couponsHash(r.Coupons, r.BestCoupons)))
	return hex.EncodeToString(h[:16])
}

// Validate checks r.
func (s *Service) Validate(r *Request) error {
	if r.Quantity == 0 {
		r.Quantity = 1
	}
	switch {
	case !ids.Valid(r.ProductID):
		return fmt.Errorf("%w: product_id is required (letters, digits, - _ ., at most 64)", ErrInvalid)
	case r.Quantity < 1 || r.Quantity > s.opt.MaxQuantity:
		return fmt.Errorf("%w: quantity must be between 1 and %d", ErrInvalid, s.opt.MaxQuantity)
	case r.Room != "" && !roomid.Valid(r.Room):
		return fmt.Errorf("%w: room must be a room id", ErrInvalid)
	}
	return nil
}

// orderID derives the order id from the user and idempotency key, so that
// a retry names the same reservation in Redis.
func orderID(user, key string) string {
	h := sha256.Sum256([]byte(user + "\x00" + key))
	var buf [4 + 24]byte
	copy(buf[:], "ord_")
	hex.Encode(buf[4:], h[:12])
	return string(buf[:])
}

// idempotencyKey returns the caller's Idempotency-Key (explicit), or an
// automatic one when it sent none; a key over 128 bytes is ErrInvalid.
func idempotencyKey(key string) (string, bool, error) {
	if key == "" {
		return ids.New("auto_"), false, nil
	}
	if len(key) > 128 {
		return "", true, fmt.Errorf("%w: Idempotency-Key is longer than 128 bytes", ErrInvalid)
	}
	return key, true, nil
}

// Create places an order for user. idemKey (optional, ≤ 128 bytes) makes
// retries safe: the same key and request return the same order (created
// false), another request with the key fails with ErrIdempotencyReuse.
func (s *Service) Create(ctx context.Context, user, idemKey string, r Request) (o Order, created bool, err error) {
	if err := s.Validate(&r); err != nil {
		return Order{}, false, err
	}
	idemKey, explicit, err := idempotencyKey(idemKey)
	if err != nil {
		return Order{}, false, err
	}
	if r.SKU != "" { // a variant: a cart of one line
		return s.CreateCart(ctx, user, idemKey, CartRequest{Lines: []CartLine{{ProductID: r.ProductID, SKU: r.SKU, Quantity: r.Quantity}}, Room: r.Room, Addr: r.Addr,
			Coupons: r.Coupons, BestCoupons: r.BestCoupons})
	}
	p, err := s.catalog.Product(ctx, r.ProductID)
	if err != nil {
		return Order{}, false, err
	}
	if vs, err := s.variants(ctx, p.ID); err != nil {
		return Order{}, false, err
	} else if len(vs) > 0 {
		return Order{}, false, fmt.Errorf("%w: choose a variant (sku) of this product", ErrInvalid)
	}
	now := s.now()
	t, err := s.terms(ctx, p, r.Room, now)
	if err != nil {
		return Order{}, false, err
	}
	price := t.price
	id := orderID(user, idemKey)
	hold := stock.Hold{Limit: p.PerUserLimit, UnpaidPerUser: s.opt.UnpaidPerUser, UnpaidPerAddr: s.opt.UnpaidPerAddr, Addr: r.Addr}

	var res stock.Result
	seen := false // the order id was written before (an explicit key reused)
	if explicit {
		res, seen, err = s.stock.ReserveHoldRemembering(ctx, p.ID, id, user, r.Quantity, hold, now)
	} else {
		res, err = s.stock.ReserveHold(ctx, p.ID, id, user, r.Quantity, hold, now)
	}
	if err != nil {
		return Order{}, false, err
	}
	if res.Code == stock.NotLoaded {
		if err := s.loadStock(ctx, p.ID, p.StockTotal); err != nil {
			return Order{}, false, err
		}
		if res, err = s.stock.ReserveHold(ctx, p.ID, id, user, r.Quantity, hold, now); err != nil {
			return Order{}, false, err
		}
		if explicit {
			seen, _ = s.stock.Remembers(ctx, id)
		}
	}
	switch res.Code {
	case stock.No, stock.Limit, stock.Held:
		// The key may have named an order of another product before: Redis
		// remembers written orders, so only those reach SQL.
		if seen {
			if prev, err := s.store.Get(ctx, id); err == nil {
				return s.replay(prev, r.hash())
			}
		}
		switch res.Code {
		case stock.Limit:
			return Order{}, false, ErrLimit
		case stock.Held:
			return Order{}, false, ErrUnpaidLimit
		}
		return Order{}, false, ErrSoldOut
	case stock.Already:
		return s.retry(ctx, p, id, user, idemKey, r.hash(), r, now)
	case stock.Done:
		s.opt.StockChanged(p.ID, res.Avail)
	default:
		return Order{}, false, fmt.Errorf("order: reserve answered %v", res.Code)
	}

	if s.opt.AfterReserve != nil {
		if err := s.opt.AfterReserve(ctx, id); err != nil {
			return Order{}, false, err
		}
	}
	hash := r.hash()
	o = s.newOrder(p, id, user, idemKey, hash, r, price, t.ttl, now)
	if err := s.discount(ctx, &o, r.Coupons, r.BestCoupons); err != nil {
		s.releaseQuiet(ctx, p.ID, id)
		return Order{}, false, err
	}
	if err := s.store.Insert(ctx, o); err != nil {
		if sqldb.IsUniqueViolation(err) {
			prev, gerr := s.store.Get(ctx, id)
			if gerr != nil {
				s.releaseQuiet(ctx, p.ID, id)
				return Order{}, false, gerr
			}
			if prev.ProductID != p.ID || !HoldsStock(prev.Status) {
				s.releaseQuiet(ctx, p.ID, id)
			}
			return s.replay(prev, hash)
		}
		s.releaseQuiet(ctx, p.ID, id)
		if len(o.Discounts) > 0 {
			s.opt.Discounts.Undo(ctx, id)
		}
		return Order{}, false, err
	}
	s.remember(ctx, id)
	return o, true, nil
}

// IdempotencyTTL is how long an Idempotency-Key is remembered in Redis for
// the sold-out path (SQL keeps it for ever).
const IdempotencyTTL = 24 * time.Hour

func (s *Service) remember(ctx context.Context, id string) {
	if err := s.stock.Remember(ctx, id, IdempotencyTTL); err != nil {
		s.log.Warn("idempotency marker not written", "order", id, "err", err)
	}
}

func (s *Service) newOrder(p catalog.Product, id, user, idemKey, hash string, r Request, price int64, ttl time.Duration, now time.Time) Order {
	now = now.UTC().Truncate(time.Millisecond)
	return Order{
		ID: id, UserID: user, Room: r.Room, ProductID: p.ID, ProductTitle: p.Title, Quantity: r.Quantity,
		UnitPriceMinor: price, AmountMinor: price * int64(r.Quantity), Currency: p.Currency, Status: Pending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(ttl), idemKey: idemKey, requestHash: hash,
	}
}

// terms is what an order of p placed in room at now costs and how long it
// holds its stock unpaid.
type terms struct {
	price int64
	ttl   time.Duration
}

// terms applies room's presentation of p: its live price and shorter hold,
// ErrSaleClosed before its flash sale opens, and, for a product that holds
// its stock for a sale, ErrSaleClosed anywhere else while a sale is
// announced and not open.
func (s *Service) terms(ctx context.Context, p catalog.Product, room string, now time.Time) (terms, error) {
	t := terms{price: p.PriceMinor, ttl: s.opt.TTL}
	var pr *catalog.Presenting
	if room != "" {
		var err error
		if pr, err = s.catalog.Presenting(ctx, room); err != nil {
			return t, err
		}
		var open bool
		if t.price, open = pr.Price(p, now); !open {
			return t, ErrSaleClosed
		}
	}
	presented := pr != nil && pr.ProductID == p.ID
	if presented && s.opt.LiveTTL > 0 && s.opt.LiveTTL < t.ttl {
		t.ttl = s.opt.LiveTTL
	}
	if p.HoldForSale && !(presented && pr.SaleStartsAt != nil) {
		upcoming, err := s.catalog.UpcomingSale(ctx, p.ID, now)
		if err != nil {
			return t, err
		}
		if upcoming {
			return t, ErrSaleClosed
		}
	}
	return t, nil
}

// awaitRow waits up to a second for the order row a concurrent (or crashed)
// first request with the same id is writing: found reports whether it
// appeared.
func (s *Service) awaitRow(ctx context.Context, id string) (o Order, found bool, err error) {
	for i := 0; i < 20; i++ {
		prev, err := s.store.Get(ctx, id)
		if err == nil {
			return prev, true, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Order{}, false, err
		}
		select {
		case <-ctx.Done():
			return Order{}, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return Order{}, false, nil
}

// replay answers a retry with the order it names, or ErrIdempotencyReuse.
func (s *Service) replay(prev Order, hash string) (Order, bool, error) {
	if prev.requestHash != hash {
		return Order{}, false, ErrIdempotencyReuse
	}
	return prev, false, nil
}

// retry handles a reservation that exists already: normally its order row
// exists (or is being written by a concurrent request); if the first
// request died before writing it, this retry finishes the job.
func (s *Service) retry(ctx context.Context, p catalog.Product, id, user, idemKey, hash string, r Request, now time.Time) (Order, bool, error) {
	if prev, found, err := s.awaitRow(ctx, id); err != nil {
		return Order{}, false, err
	} else if found {
		return s.replay(prev, hash)
	}
	// No row after a second: the first attempt crashed after reserving.
	res, err := s.stock.Reinstate(ctx, p.ID, id, user, r.Quantity, stock.StateReserved, now)
	if err != nil {
		return Order{}, false, err
	}
	if res.Code != stock.Done && res.Code != stock.Already {
		return Order{}, false, ErrSoldOut
	}
	t, err := s.terms(ctx, p, r.Room, now)
	if err != nil { // the first attempt passed these checks: keep its reservation
		t = terms{price: p.PriceMinor, ttl: s.opt.TTL}
	}
	o := s.newOrder(p, id, user, idemKey, hash, r, t.price, t.ttl, now)
	// The first attempt may have reserved its coupons for this order id
	// already: applying them again for the same order is idempotent.
	if err := s.discount(ctx, &o, r.Coupons, r.BestCoupons); err != nil {
		return Order{}, false, err
	}
	if err := s.store.Insert(ctx, o); err != nil {
		if sqldb.IsUniqueViolation(err) {
			if prev, gerr := s.store.Get(ctx, id); gerr == nil {
				return s.replay(prev, hash)
			}
		}
		return Order{}, false, err
	}
	s.remember(ctx, id)
	return o, true, nil
}

func (s *Service) releaseQuiet(ctx context.Context, product, id string) {
	res, err := s.stock.Release(context.WithoutCancel(ctx), product, id, false)
	if err != nil {
		s.log.Warn("release after failed insert; reconcile will retry", "order", id, "err", err)
		return
	}
	if res.Code == stock.Done {
		s.opt.StockChanged(product, res.Avail)
	}
}

// LoadStock builds product's Redis stock from SQL if Redis has none.
func (s *Service) LoadStock(ctx context.Context, product string, total int64) error {
	return s.loadStock(ctx, product, total)
}

// loadStock builds product's Redis stock from SQL.
func (s *core) loadStock(ctx context.Context, product string, total int64) error {
	holding, err := s.store.Holding(ctx, product)
	if err != nil {
		return err
	}
	hs := make([]stock.Holding, 0, len(holding))
	for _, o := range holding {
		st := stock.StateConfirmed
		if o.Status == Pending {
			st = stock.StateReserved
		}
		for _, l := range o.Items() {
			if l.ProductID == product {
				hs = append(hs, stock.Holding{Order: stock.Field(o.ID, l.SKU), User: o.UserID, Qty: l.Quantity, State: st})
			}
		}
	}
	vs, err := s.variants(ctx, product)
	if err != nil {
		return err
	}
	var skus map[string]int64
	if len(vs) > 0 {
		skus = make(map[string]int64, len(vs))
		for _, v := range vs {
			skus[v.SKU] = v.StockTotal
		}
	}
	res, err := s.stock.Admin.LoadVariants(ctx, product, total, skus, hs, s.now())
	if err != nil {
		return err
	}
	if res.Code == stock.Limit {
		s.log.Error("orders hold more units than the product's total", "product", product, "total", total)
	}
	return nil
}

// Get returns order id.
func (s *Service) Get(ctx context.Context, id string) (Order, error) { return s.store.Get(ctx, id) }

// Cancel cancels a PENDING order of user (admin may cancel any).
func (s *Service) Cancel(ctx context.Context, id, user string, admin bool) (Order, error) {
	o, err := s.store.UpdateOrder(ctx, id, func(o *Order) error {
		if !admin && o.UserID != user {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if o.Status != Pending {
			return fmt.Errorf("%w: only a pending order can be cancelled (it is %s)", ErrBadState, o.Status)
		}
		o.Status = Cancelled
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	s.release(ctx, o, false)
	return o, nil
}

// release returns the stock of every line of o in Redis (idempotently), logging failures:
// reconcile retries what fails here.
func (s *core) release(ctx context.Context, o Order, paid bool) {
	if IsTicket(o.ProductID) {
		if t := s.tickets.get(); t != nil {
			if err := t.Release(context.WithoutCancel(ctx), o, paid); err != nil {
				s.log.Warn("ticket release failed", "order", o.ID, "err", err)
			}
		}
		return
	}
	for _, l := range o.Items() {
		res, err := s.stock.Release(context.WithoutCancel(ctx), l.ProductID, stock.Field(o.ID, l.SKU), paid)
		if err != nil {
			s.log.Warn("stock release failed; reconcile will retry", "order", o.ID, "product", l.ProductID, "err", err)
			continue
		}
		if res.Code == stock.Done {
			s.opt.StockChanged(l.ProductID, res.Avail)
		}
	}
}

// Advance moves a PAID order to SHIPPED or a SHIPPED one to COMPLETED (admin).
func (s *Service) Advance(ctx context.Context, id string, to Status) (Order, error) {
	return s.store.UpdateOrder(ctx, id, func(o *Order) error {
		if (to != Shipped && to != Completed) || !CanMove(o.Status, to) {
			return fmt.Errorf("%w: %s → %s", ErrBadState, o.Status, to)
		}
		o.Status = to
		return nil
	})
}
