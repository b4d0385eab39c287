// Package presale sells access to a show before it starts: offers of ticket
// tiers on a scheduled room (full price, deposit and balance, early-bird
// price steps), places taken by Lua scripts in the same Redis as live-goods
// stock (commerce/stock), ticket orders in the same order store, paid
// through the same providers and signed callbacks (commerce/order, kind
// "ticket:"). A paid ticket writes its entitlement in the payment's SQL
// transaction with an outbox event relayed to JetStream; Passes answers
// auth.Tickets from memory, dropped by those events on every node. Deposits
// whose balance is not paid in time are released by a sweep that claims
// with FOR UPDATE SKIP LOCKED. Guest lists, the shop's grants, referral
// attribution and the presale analytics live here too.
package presale

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/presale/schema"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/sqldb"
)

// Sentinel errors of buying, checked with errors.Is.
var (
	ErrSoldOut     = errors.New("presale: tier sold out")
	ErrLimit       = errors.New("presale: per-user ticket limit")
	ErrClosed      = errors.New("presale: sales closed")
	ErrBadState    = errors.New("presale: not allowed in the ticket's state")
	ErrBalanceLate = errors.New("presale: the balance window has closed")
	ErrNoTier      = errors.New("presale: no such tier")
	// ErrInFlight is a retry that overtook its first attempt: retry later.
	ErrInFlight = errors.New("presale: request in flight")
)

// Options configure a Service.
type Options struct {
	// TTL is how long an unpaid ticket order holds its place (default 15 min).
	TTL time.Duration
	// PublicURL makes share links ("" leaves them relative).
	PublicURL string
	// Reminders schedules the buyer's reminders (nil: none).
	Reminders Reminders
	Log       *slog.Logger
	// Now is the clock (tests move it); nil is time.Now.
	Now func() time.Time
}

// core is what the presale's types share: the stores and places, the
// node's order service, the outbox relay, the ticket check, the options,
// the offer cache and the refund reasons handed to the order kind, and the
// steps more than one of them takes (the clock, reading an offer, giving a
// place back).
type core struct {
	db      *sqldb.DB
	store   *Store
	places  *stock.Tickets
	orders  *order.Service
	relay   *Relay
	passes  *Passes
	opt     Options
	log     *slog.Logger
	offers  offerCache
	reasons sync.Map // order id → refund reason, for the order's transaction hook
}

// Service is the presale of one node. Its own methods are the offers and
// the buyer's path: put and read offers, buy a ticket, pay its balance,
// list one's tickets, refund a ticket or a whole show. Entitlements grants
// and revokes access by hand and imports guest lists; Maintenance sweeps
// unpaid deposits, reconciles places with SQL and follows show events;
// Referrals hands out share links and rewards referrers; Analytics counts
// page views and computes a show's figures.
type Service struct {
	*core
	// Entitlements grants access without a ticket (the operator, the
	// shop's backend, guest lists).
	Entitlements *Entitlements
	// Maintenance keeps tickets and places consistent in the background.
	Maintenance *Maintenance
	// Referrals runs referral codes, share links and rewards.
	Referrals *Referrals
	// Analytics records page views and computes the presale figures.
	Analytics *Analytics

	loading sync.Mutex // one rebuild of Redis places at a time (load)
}

// Entitlements grants and revokes room access outside the ticket path:
// one user by the operator or the shop's backend, or a whole guest list.
type Entitlements struct{ *core }

// Maintenance keeps tickets and places consistent: the sweeper releases
// deposits whose balance is late, the reconciler frees places no ticket
// holds, and the show consumer refunds a cancelled show's tickets.
type Maintenance struct {
	*core
	sales *Service // a cancelled show refunds its tickets

	suspectsMu sync.Mutex
	suspects   map[string]time.Time // places seen held without a ticket (reconcile.go)
}

// Referrals attributes tickets to the fans who shared a show: their
// referral codes and share links, and the rewards paid for the tickets
// bought through them.
type Referrals struct{ *core }

// Analytics is a show's presale figures: page views and the live
// counts of tickets, money and referrals.
type Analytics struct {
	*core
	referrals *Referrals // the figures include the referrers
}

// New migrates the presale schema and composes a Service over the shared
// backends and the node's order service, registering the ticket order kind
// with it. passes (may be nil) is told of this node's changes at once.
func New(ctx context.Context, b *backend.Backends, ns string, orders *order.Service, passes *Passes, opt Options) (*Service, error) {
	if opt.TTL <= 0 {
		opt.TTL = 15 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Reminders == nil {
		opt.Reminders = NoReminders{}
	}
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		return nil, err
	}
	relay, err := newRelay(ctx, b.SQL, b.JetStream, ns, opt.Log)
	if err != nil {
		return nil, err
	}
	c := &core{db: b.SQL, places: stock.NewTickets(b.Redis, ns), orders: orders, relay: relay, passes: passes, opt: opt, log: opt.Log.With("component", "presale")}
	c.store = &Store{db: b.SQL, committed: relay.Kick}
	c.offers.store = c.store
	refs := &Referrals{c}
	s := &Service{core: c, Entitlements: &Entitlements{c}, Referrals: refs, Analytics: &Analytics{core: c, referrals: refs}}
	s.Maintenance = &Maintenance{core: c, sales: s}
	orders.UseTickets(kind{s})
	return s, nil
}

// Store is the service's SQL store.
func (s *Service) Store() *Store { return s.store }

// Relay is the service's outbox relay (Run it; tests Flush it).
func (s *Service) Relay() *Relay { return s.relay }

func (s *core) now() time.Time { return s.opt.Now().UTC().Truncate(time.Millisecond) }

// offer returns room's offer (cached for a second).
func (s *core) offer(ctx context.Context, room string) (Offer, error) {
	return s.offers.get(ctx, room, s.now())
}

// PutOffer validates and stores room's offer and sets its tiers' terms in
// Redis (places already taken are kept).
func (s *Service) PutOffer(ctx context.Context, o Offer) (Offer, error) {
	if err := o.Validate(); err != nil {
		return Offer{}, err
	}
	if err := s.store.PutOffer(ctx, o, s.now()); err != nil {
		return Offer{}, err
	}
	for i := range o.Tiers {
		if err := s.places.Configure(ctx, tierKey(o.Room, o.Tiers[i].Name), o.Tiers[i].terms()); err != nil {
			return Offer{}, err
		}
	}
	s.offers.drop(o.Room)
	if s.passes != nil {
		s.passes.dropRoom(o.Room)
	}
	return o, nil
}

// Offer returns room's offer (cached for a second).
func (s *Service) Offer(ctx context.Context, room string) (Offer, error) {
	return s.offer(ctx, room)
}

// BuyRequest is a buyer's ticket request.
type BuyRequest struct {
	Tier string `json:"tier"`
	Pay  string `json:"pay"` // full | deposit ("" = the tier's mode)
	Ref  string `json:"ref,omitempty"`
}

// Purchase is a ticket and the order that pays for its current step.
type Purchase struct {
	Ticket Ticket      `json:"ticket"`
	Order  order.Order `json:"order"`
}

// orderIDFor is the order id of a request: fixed by (user, idempotency
// key) so that a retry finds the same place and the same order.
func orderIDFor(prefix, user, key string) string {
	if key == "" {
		return ids.New(prefix)
	}
	h := sha256.Sum256([]byte(user + "\x00" + key))
	return prefix + hex.EncodeToString(h[:13])
}

// Buy takes a place for user in room's tier at the price step in force and
// opens its first order (the whole price, or the deposit). idemKey (may be
// "") makes a retry answer the same ticket.
func (s *Service) Buy(ctx context.Context, room, user string, r BuyRequest, idemKey string) (Purchase, error) {
	off, err := s.Offer(ctx, room)
	if err != nil {
		return Purchase{}, err
	}
	tier, ok := off.Tier(r.Tier)
	if !ok {
		return Purchase{}, fmt.Errorf("%w: %q", ErrNoTier, r.Tier)
	}
	pay := r.Pay
	if pay == "" {
		pay = ModeFull
		if tier.Mode == ModeDeposit {
			pay = ModeDeposit
		}
	}
	if pay != ModeFull && !(pay == ModeDeposit && tier.Mode == ModeDeposit) {
		return Purchase{}, fmt.Errorf("%w: pay is full, or deposit on a deposit tier", ErrInvalid)
	}
	now := s.now()
	if pay == ModeDeposit && !now.Before(tier.BalanceDueAt) {
		return Purchase{}, ErrClosed
	}
	id := orderIDFor(firstPrefix, user, idemKey)
	key := tierKey(room, tier.Name)
	res, err := s.places.Reserve(ctx, key, id, user, now)
	if err == nil && res.Code == stock.NotLoaded {
		if err = s.load(ctx, off); err == nil {
			res, err = s.places.Reserve(ctx, key, id, user, now)
		}
	}
	if err != nil {
		return Purchase{}, err
	}
	switch res.Code {
	case stock.Done:
	case stock.Already:
		return s.replay(ctx, id)
	case stock.Limit:
		return Purchase{}, ErrLimit
	case stock.Closed:
		return Purchase{}, ErrClosed
	default:
		return Purchase{}, ErrSoldOut
	}
	t := Ticket{ID: ids.New("tkt_"), Room: room, Tier: tier.Name, UserID: user, Pay: pay, Status: StatusReserved, Step: res.Step,
		PriceMinor: res.PriceMinor, Currency: off.Currency, OrderID: id, CreatedAt: now, UpdatedAt: now}
	amount := res.PriceMinor
	if pay == ModeDeposit {
		t.DepositMinor, t.BalanceMinor = tier.DepositMinor, res.PriceMinor-tier.DepositMinor
		due := tier.BalanceDueAt.UTC()
		t.BalanceDueAt = &due
		amount = tier.DepositMinor
	}
	if r.Ref != "" {
		if ref, err := s.Referrals.referrer(ctx, room, r.Ref); err == nil && ref != user {
			t.Referrer = ref
		}
	}
	expires := now.Add(s.opt.TTL)
	if pay == ModeDeposit && tier.BalanceDueAt.Before(expires) {
		expires = tier.BalanceDueAt // a deposit is not taken after the balance was due
	}
	o := s.ticketOrder(id, user, off, tier, amount, now, expires, idemKey, "first")
	if err := s.store.InsertTicket(ctx, t); err != nil {
		s.releasePlace(ctx, key, id)
		return Purchase{}, err
	}
	if err := s.orders.Store().Insert(ctx, o); err != nil {
		if sqldb.IsUniqueViolation(err) {
			return s.replay(ctx, id)
		}
		s.releasePlace(ctx, key, id)
		s.deleteTicket(ctx, t.ID)
		return Purchase{}, err
	}
	s.log.Info("ticket reserved", "room", room, "tier", tier.Name, "order", id, "user", user, "step", res.Step)
	return Purchase{Ticket: t, Order: o}, nil
}

func (s *Service) ticketOrder(id, user string, off Offer, tier *Tier, amount int64, now, expires time.Time, idemKey, part string) order.Order {
	title := off.Title + " · " + tier.Name
	if tier.Title != "" {
		title = off.Title + " · " + tier.Title
	}
	if part == "balance" {
		title += " (balance)"
	}
	o := order.Order{ID: id, UserID: user, Room: off.Room, ProductID: order.TicketPrefix + tierKey(off.Room, tier.Name), ProductTitle: title,
		Quantity: 1, UnitPriceMinor: amount, AmountMinor: amount, Currency: off.Currency, Status: order.Pending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: expires}
	if idemKey == "" {
		idemKey = id
	}
	o.SetIdempotency(part+":"+idemKey, part)
	return o
}

// replay answers a retried request with the ticket and order it made.
func (s *Service) replay(ctx context.Context, orderID string) (Purchase, error) {
	t, _, err := s.store.TicketOfOrder(ctx, orderID)
	if errors.Is(err, ErrNotFound) {
		// The first attempt holds the place and is still writing its rows.
		return Purchase{}, fmt.Errorf("%w: the first attempt of this request is still in flight; retry", ErrInFlight)
	}
	if err != nil {
		return Purchase{}, err
	}
	o, err := s.orders.Get(ctx, orderID)
	if err != nil {
		return Purchase{}, err
	}
	return Purchase{Ticket: t, Order: o}, nil
}

func (s *core) releasePlace(ctx context.Context, key, order string) {
	if _, err := s.places.Release(context.WithoutCancel(ctx), key, order); err != nil {
		s.log.Warn("ticket place release failed", "order", order, "err", err)
	}
}

func (s *Service) deleteTicket(ctx context.Context, id string) {
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), `DELETE FROM presale_tickets WHERE id = $1`, id); err != nil {
		s.log.Warn("ticket row cleanup failed", "ticket", id, "err", err)
	}
}

// load rebuilds the Redis places of off's tiers from SQL (after Redis lost
// them): the terms, then every ticket still holding its place, at its step.
func (s *Service) load(ctx context.Context, off Offer) error {
	s.loading.Lock()
	defer s.loading.Unlock()
	tickets, err := s.store.RoomTickets(ctx, off.Room, StatusReserved, StatusDepositPaid, StatusPaid)
	if err != nil {
		return err
	}
	for i := range off.Tiers {
		key := tierKey(off.Room, off.Tiers[i].Name)
		if ok, err := s.places.Loaded(ctx, key); err != nil || ok {
			if err != nil {
				return err
			}
			continue
		}
		if err := s.places.Configure(ctx, key, off.Tiers[i].terms()); err != nil {
			return err
		}
		for _, t := range tickets {
			if t.Tier != off.Tiers[i].Name {
				continue
			}
			state := stock.StateConfirmed
			if t.Status == StatusReserved {
				state = stock.StateReserved
			}
			if _, err := s.places.Reinstate(ctx, key, t.OrderID, t.UserID, t.Step, state); err != nil {
				return err
			}
		}
	}
	s.log.Info("ticket places rebuilt from SQL", "room", off.Room, "tickets", len(tickets))
	return nil
}

// Balance opens (or answers the open) balance order of user's deposit ticket id.
func (s *Service) Balance(ctx context.Context, user, id string) (Purchase, error) {
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return Purchase{}, err
	}
	if t.UserID != user {
		return Purchase{}, fmt.Errorf("%w: ticket %s", ErrNotFound, id)
	}
	if t.Status != StatusDepositPaid {
		return Purchase{}, fmt.Errorf("%w: the ticket is %s", ErrBadState, t.Status)
	}
	now := s.now()
	if t.BalanceDueAt == nil || !now.Before(*t.BalanceDueAt) {
		return Purchase{}, ErrBalanceLate
	}
	if t.BalanceOrderID != "" {
		if o, err := s.orders.Get(ctx, t.BalanceOrderID); err == nil && o.Status == order.Pending && now.Before(o.ExpiresAt) {
			return Purchase{Ticket: t, Order: o}, nil
		}
	}
	off, err := s.Offer(ctx, t.Room)
	if err != nil {
		return Purchase{}, err
	}
	tier, ok := off.Tier(t.Tier)
	if !ok {
		return Purchase{}, ErrNoTier
	}
	oid := balancePrefix + strings.TrimPrefix(t.OrderID, firstPrefix) + "_" + ids.New("")[12:20]
	if ok, err := s.store.SetBalanceOrder(ctx, t.ID, t.BalanceOrderID, oid, now); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: another balance order was opened", ErrBadState)
		}
		return Purchase{}, err
	}
	expires := now.Add(s.opt.TTL)
	if t.BalanceDueAt.Before(expires) {
		expires = *t.BalanceDueAt
	}
	o := s.ticketOrder(oid, user, off, tier, t.PriceMinor-t.DepositMinor, now, expires, oid, "balance")
	if err := s.orders.Store().Insert(ctx, o); err != nil {
		return Purchase{}, err
	}
	t.BalanceOrderID = oid
	return Purchase{Ticket: t, Order: o}, nil
}

// RefundTicket refunds every paid order of ticket id with reason (its
// entitlement is revoked in the refund's transaction) and cancels an open
// one; a ticket already refunded or released is answered as it is.
func (s *Service) RefundTicket(ctx context.Context, id, reason string) (Ticket, error) {
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	for _, oid := range []string{t.BalanceOrderID, t.OrderID} {
		if oid == "" {
			continue
		}
		o, err := s.orders.Get(ctx, oid)
		if err != nil {
			return Ticket{}, err
		}
		switch o.Status {
		case order.Paid:
			s.reasons.Store(oid, reason)
			_, err = s.orders.Payments.RefundOnce(ctx, oid, reason)
			s.reasons.Delete(oid)
		case order.Pending:
			_, err = s.orders.Cancel(ctx, oid, o.UserID, true)
		}
		if err != nil && !errors.Is(err, order.ErrBadState) {
			return Ticket{}, err
		}
	}
	return s.store.Ticket(ctx, id)
}

// CancelShow refunds (or cancels) every ticket of room: a cancelled show,
// forfeited deposits of released places included. It returns how many
// tickets it went through.
func (s *Service) CancelShow(ctx context.Context, room string) (int, error) {
	tickets, err := s.store.RoomTickets(ctx, room, StatusReserved, StatusDepositPaid, StatusPaid, StatusReleased)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, t := range tickets {
		if _, err := s.RefundTicket(ctx, t.ID, "show_cancelled"); err != nil {
			errs = append(errs, fmt.Errorf("ticket %s: %w", t.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// offerCache keeps offers for a second (a buy reads its offer once).
type offerCache struct {
	store *Store
	mu    sync.Mutex
	m     map[string]cachedOffer
}

type cachedOffer struct {
	o   Offer
	err error
	at  time.Time
}

func (c *offerCache) get(ctx context.Context, room string, now time.Time) (Offer, error) {
	c.mu.Lock()
	e, ok := c.m[room]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < time.Second && now.Sub(e.at) >= 0 {
		return e.o, e.err
	}
	o, err := c.store.Offer(ctx, room)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Offer{}, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedOffer{}
	}
	c.m[room] = cachedOffer{o: o, err: err, at: now}
	c.mu.Unlock()
	return o, err
}

func (c *offerCache) drop(room string) {
	c.mu.Lock()
	delete(c.m, room)
	c.mu.Unlock()
}
