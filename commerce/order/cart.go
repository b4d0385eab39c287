package order

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/internal/sqldb"
)

// MaxCartLines bounds the lines of one cart order.
const MaxCartLines = 20

// Line is one line of an order: Quantity units of a product, or of one of
// its variants (SKU), at UnitPriceMinor each.
type Line struct {
	ProductID      string `json:"product_id"`
	SKU            string `json:"sku,omitempty"`
	Title          string `json:"title"`
	VariantTitle   string `json:"variant_title,omitempty"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
	AmountMinor    int64  `json:"amount_minor"`
}

// Items are the lines whose stock o holds: its cart lines, or its one
// product (none for an order of another kind, see KindOf).
func (o *Order) Items() []Line {
	if KindOf(o.ProductID) != "" {
		return nil
	}
	if len(o.Lines) > 0 {
		return o.Lines
	}
	return []Line{{ProductID: o.ProductID, Title: o.ProductTitle, Quantity: o.Quantity, UnitPriceMinor: o.UnitPriceMinor, AmountMinor: o.AmountMinor}}
}

// products are the distinct products of o's cart lines.
func (o *Order) products() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range o.Lines {
		if !seen[l.ProductID] {
			seen[l.ProductID] = true
			out = append(out, l.ProductID)
		}
	}
	return out
}

// CartLine is one line a buyer asks for.
type CartLine struct {
	ProductID string `json:"product_id"`
	SKU       string `json:"sku,omitempty"`
	Quantity  int    `json:"quantity"`
}

// CartRequest is a buyer's cart checkout: every line in one order, one payment.
type CartRequest struct {
	Lines []CartLine `json:"lines"`
	Room  string     `json:"room,omitempty"`
	// Addr is the buyer's client address for the per-address cap (see Request).
	Addr string `json:"-"`
	// Coupons and BestCoupons apply the buyer's coupons (see Request).
	Coupons     []string `json:"coupons,omitempty"`
	BestCoupons bool     `json:"best_coupons,omitempty"`
}

// LineError is a refusal of one line of a cart: Index (0-based) names it.
type LineError struct {
	Index     int
	ProductID string
	SKU       string
	Err       error
}

func (e *LineError) Error() string {
	what := "product " + e.ProductID
	if e.SKU != "" {
		what += ", variant " + e.SKU
	}
	return fmt.Sprintf("line %d (%s): %v", e.Index+1, what, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Variants is what a cart needs of a catalogue with variants (the Catalog
// may implement it; without it every product has one implicit SKU).
type Variants interface {
	Variants(ctx context.Context, product string) ([]catalog.Variant, error)
}

func (s *core) variants(ctx context.Context, product string) ([]catalog.Variant, error) {
	vc, ok := s.catalog.(Variants)
	if !ok {
		return nil, nil
	}
	return vc.Variants(ctx, product)
}

// validateCart checks r and merges lines of the same product and variant.
func (s *Service) validateCart(r *CartRequest) error {
	if len(r.Lines) == 0 || len(r.Lines) > MaxCartLines {
		return fmt.Errorf("%w: a cart has 1 to %d lines", ErrInvalid, MaxCartLines)
	}
	if r.Room != "" && !roomid.Valid(r.Room) {
		return fmt.Errorf("%w: room must be a room id", ErrInvalid)
	}
	merged := make([]CartLine, 0, len(r.Lines))
	at := map[[2]string]int{}
	for i, l := range r.Lines {
		if l.Quantity == 0 {
			l.Quantity = 1
		}
		switch {
		case !ids.Valid(l.ProductID):
			return &LineError{Index: i, ProductID: l.ProductID, SKU: l.SKU, Err: fmt.Errorf("%w: product_id is required (letters, digits, - _ ., at most 64)", ErrInvalid)}
		case l.SKU != "" && !ids.Valid(l.SKU):
			return &LineError{Index: i, ProductID: l.ProductID, SKU: l.SKU, Err: fmt.Errorf("%w: sku is letters, digits, - _ ., at most 64", ErrInvalid)}
		case l.Quantity < 1 || l.Quantity > s.opt.MaxQuantity:
			return &LineError{Index: i, ProductID: l.ProductID, SKU: l.SKU, Err: fmt.Errorf("%w: quantity must be between 1 and %d", ErrInvalid, s.opt.MaxQuantity)}
		}
		k := [2]string{l.ProductID, l.SKU}
		if j, ok := at[k]; ok {
			merged[j].Quantity += l.Quantity
			if merged[j].Quantity > s.opt.MaxQuantity {
				return &LineError{Index: i, ProductID: l.ProductID, SKU: l.SKU, Err: fmt.Errorf("%w: at most %d units of one item", ErrInvalid, s.opt.MaxQuantity)}
			}
			continue
		}
		at[k] = len(merged)
		merged = append(merged, l)
	}
	r.Lines = merged
	return nil
}

// hash identifies the cart's body (after merging), like Request.hash.
func (r CartRequest) hash() string {
	ls := append([]CartLine(nil), r.Lines...)
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].ProductID != ls[j].ProductID {
			return ls[i].ProductID < ls[j].ProductID
		}
		return ls[i].SKU < ls[j].SKU
	})
	h := sha256.New()
	h.Write([]byte("cart\x00" + r.Room))
	for _, l := range ls {
		h.Write([]byte("\x00" + l.ProductID + "\x00" + l.SKU + "\x00" + strconv.Itoa(l.Quantity)))
	}
	h.Write([]byte(couponsHash(r.Coupons, r.BestCoupons)))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// CreateCart places one order for every line of r, reserved atomically in
// one Redis script: all lines or none. A refusal is a *LineError naming
// the line (wrapping ErrSoldOut, ErrLimit, ErrUnpaidLimit, ErrSaleClosed,
// ErrInvalid or a catalogue error). idemKey works as for Create.
func (s *Service) CreateCart(ctx context.Context, user, idemKey string, r CartRequest) (o Order, created bool, err error) {
	if err := s.validateCart(&r); err != nil {
		return Order{}, false, err
	}
	idemKey, explicit, err := idempotencyKey(idemKey)
	if err != nil {
		return Order{}, false, err
	}
	now := s.now()
	lines := make([]Line, len(r.Lines))
	sl := make([]stock.Line, len(r.Lines))
	prods := make([]catalog.Product, len(r.Lines))
	ttl := s.opt.TTL
	currency := ""
	for i, cl := range r.Lines {
		fail := func(err error) error { return &LineError{Index: i, ProductID: cl.ProductID, SKU: cl.SKU, Err: err} }
		p, err := s.catalog.Product(ctx, cl.ProductID)
		if err != nil {
			return Order{}, false, fail(err)
		}
		t, err := s.terms(ctx, p, r.Room, now)
		if err != nil {
			return Order{}, false, fail(err)
		}
		vs, err := s.variants(ctx, p.ID)
		if err != nil {
			return Order{}, false, err
		}
		l := Line{ProductID: p.ID, SKU: cl.SKU, Title: p.Title, Quantity: cl.Quantity, UnitPriceMinor: t.price}
		switch {
		case len(vs) > 0 && cl.SKU == "":
			return Order{}, false, fail(fmt.Errorf("%w: choose a variant (sku) of this product", ErrInvalid))
		case len(vs) == 0 && cl.SKU != "":
			return Order{}, false, fail(fmt.Errorf("%w: this product has no variants", ErrInvalid))
		case len(vs) > 0:
			v, ok := findVariant(vs, cl.SKU)
			if !ok {
				return Order{}, false, fail(fmt.Errorf("%w: variant %s", catalog.ErrNotFound, cl.SKU))
			}
			l.VariantTitle = v.Title
			if t.price == p.PriceMinor { // no live price: the variant's own
				l.UnitPriceMinor = v.Price(p)
			}
		}
		if currency != "" && p.Currency != currency {
			return Order{}, false, fail(fmt.Errorf("%w: every line of a cart must be in one currency (%s, not %s)", ErrInvalid, currency, p.Currency))
		}
		currency = p.Currency
		if t.ttl < ttl {
			ttl = t.ttl
		}
		l.AmountMinor = l.UnitPriceMinor * int64(l.Quantity)
		lines[i], prods[i] = l, p
		sl[i] = stock.Line{Product: p.ID, SKU: cl.SKU, Qty: cl.Quantity, Limit: p.PerUserLimit}
	}
	id := orderID(user, idemKey)
	hash := r.hash()
	hold := stock.Hold{UnpaidPerUser: s.opt.UnpaidPerUser, UnpaidPerAddr: s.opt.UnpaidPerAddr, Addr: r.Addr}
	var res stock.CartResult
	for attempt := 0; ; attempt++ {
		if res, err = s.stock.ReserveCart(ctx, id, user, sl, hold, now); err != nil {
			return Order{}, false, err
		}
		if res.Code != stock.NotLoaded || attempt > len(sl) {
			break
		}
		p := prods[res.Line]
		if err := s.loadStock(ctx, p.ID, p.StockTotal); err != nil {
			return Order{}, false, err
		}
	}
	switch res.Code {
	case stock.No, stock.Limit, stock.Held:
		// The key may have named another cart before: Redis remembers
		// written orders, so only those reach SQL (a sold-out flash sale
		// stays off SQL).
		if explicit {
			if seen, _ := s.stock.Remembers(ctx, id); seen {
				if prev, err := s.store.Get(ctx, id); err == nil {
					return s.replay(prev, hash)
				}
			}
		}
		why := ErrSoldOut
		switch res.Code {
		case stock.Limit:
			why = ErrLimit
		case stock.Held:
			why = ErrUnpaidLimit
		}
		cl := r.Lines[res.Line]
		return Order{}, false, &LineError{Index: res.Line, ProductID: cl.ProductID, SKU: cl.SKU, Err: why}
	case stock.Already:
		// A retry: the first request's row exists or is being written; if
		// it died before writing it, its reservation (all lines) is here.
		if prev, found, err := s.awaitRow(ctx, id); err != nil {
			return Order{}, false, err
		} else if found {
			return s.replay(prev, hash)
		}
	case stock.Done:
		s.stockChanged(ctx, lines)
	default:
		return Order{}, false, fmt.Errorf("order: cart reserve answered %v", res.Code)
	}
	if s.opt.AfterReserve != nil {
		if err := s.opt.AfterReserve(ctx, id); err != nil {
			return Order{}, false, err
		}
	}
	o = s.newCartOrder(id, user, idemKey, hash, r.Room, currency, lines, ttl, now)
	if err := s.discount(ctx, &o, r.Coupons, r.BestCoupons); err != nil {
		if res.Code == stock.Done {
			s.release(ctx, o, false)
		}
		return Order{}, false, err
	}
	if err := s.store.Insert(ctx, o); err != nil {
		if sqldb.IsUniqueViolation(err) {
			if prev, gerr := s.store.Get(ctx, id); gerr == nil {
				if prev.requestHash != hash && res.Code == stock.Done {
					s.release(ctx, o, false)
				}
				return s.replay(prev, hash)
			}
		}
		s.release(ctx, o, false)
		if len(o.Discounts) > 0 {
			s.opt.Discounts.Undo(ctx, id)
		}
		return Order{}, false, err
	}
	s.remember(ctx, id)
	return o, true, nil
}

func findVariant(vs []catalog.Variant, sku string) (catalog.Variant, bool) {
	for _, v := range vs {
		if v.SKU == sku {
			return v, true
		}
	}
	return catalog.Variant{}, false
}

func (s *Service) newCartOrder(id, user, idemKey, hash, room, currency string, lines []Line, ttl time.Duration, now time.Time) Order {
	now = now.UTC().Truncate(time.Millisecond)
	o := Order{
		ID: id, UserID: user, Room: room, ProductID: lines[0].ProductID, ProductTitle: lines[0].Title,
		UnitPriceMinor: lines[0].UnitPriceMinor, Currency: currency, Status: Pending, Lines: lines,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(ttl), idemKey: idemKey, requestHash: hash,
	}
	if len(lines) > 1 {
		o.ProductTitle = fmt.Sprintf("%s + %d more", lines[0].Title, len(lines)-1)
	}
	for _, l := range lines {
		o.Quantity += l.Quantity
		o.AmountMinor += l.AmountMinor
	}
	return o
}

// stockChanged tells StockChanged the units left of each product of lines.
func (s *Service) stockChanged(ctx context.Context, lines []Line) {
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l.ProductID] {
			continue
		}
		seen[l.ProductID] = true
		if avail, _, ok, err := s.stock.Avail(ctx, l.ProductID); err == nil && ok {
			s.opt.StockChanged(l.ProductID, avail)
		}
	}
}

// reinstateAll takes the units of every line of o again into state, or
// none: a line refused (short, or over its product's per-user limit when
// limited) gives back the lines reinstated before it. It answers Done (or
// Already when nothing had to be taken) or the refusing code.
func (s *core) reinstateAll(ctx context.Context, o Order, state stock.State, limited bool, now time.Time) (stock.Code, error) {
	if IsTicket(o.ProductID) {
		t := s.tickets.get()
		if t == nil {
			return stock.No, nil
		}
		return t.Reinstate(ctx, o, state)
	}
	items := o.Items()
	taken := make([]Line, 0, len(items))
	code := stock.Already
	for _, l := range items {
		limit := 0
		if limited {
			if p, err := s.catalog.Product(ctx, l.ProductID); err == nil {
				limit = p.PerUserLimit
			}
		}
		res, err := s.stock.ReinstateLimited(ctx, l.ProductID, stock.Field(o.ID, l.SKU), o.UserID, l.Quantity, state, limit, now)
		if err == nil && res.Code == stock.NotLoaded {
			if p, perr := s.catalog.Product(ctx, l.ProductID); perr == nil {
				if err = s.loadStock(ctx, p.ID, p.StockTotal); err == nil {
					res, err = s.stock.ReinstateLimited(ctx, l.ProductID, stock.Field(o.ID, l.SKU), o.UserID, l.Quantity, state, limit, now)
				}
			}
		}
		if err == nil && res.Code != stock.Done && res.Code != stock.Already {
			code = res.Code
		}
		if err != nil || code != stock.Already && code != stock.Done {
			for _, t := range taken {
				if r, rerr := s.stock.Release(context.WithoutCancel(ctx), t.ProductID, stock.Field(o.ID, t.SKU), true); rerr == nil && r.Code == stock.Done {
					s.opt.StockChanged(t.ProductID, r.Avail)
				}
			}
			return code, err
		}
		if res.Code == stock.Done {
			taken = append(taken, l)
			code = stock.Done
			s.opt.StockChanged(l.ProductID, res.Avail)
		}
	}
	return code, nil
}
