package gift

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/sqldb"
)

// Orders creates orders of another kind (commerce/order.Service).
type Orders interface {
	CreateKind(ctx context.Context, user, idemKey string, r order.KindRequest) (order.Order, bool, error)
}

// Wallet debits gifts sent from the wallet and credits top-ups and
// points rewards (commerce/marketing/wallet.Store).
type Wallet interface {
	Move(ctx context.Context, user, currency string, amount int64, kind, ref string) (bool, error)
}

// Notifier tells a room about its gifts (a room notice).
type Notifier interface {
	Publish(ctx context.Context, room, kind string, data any, reliable bool, until *time.Time) error
}

// Service sends gifts.
type Service struct {
	store   *Store
	orders  Orders
	wallet  Wallet
	notices Notifier
	// coupons issues the coupon rewards of tipping rules (nil: refused).
	coupons Coupons
	log     *slog.Logger
	now     func() time.Time
}

// New returns the gift service.
func New(db *sqldb.DB, orders Orders, w Wallet, n Notifier, log *slog.Logger) *Service {
	return &Service{store: &Store{db: db}, orders: orders, wallet: w, notices: n, log: log, now: time.Now}
}

// Store is the gifts' SQL store.
func (s *Service) Store() *Store { return s.store }

// Request is one viewer's gift.
type Request struct {
	Room       string
	User       string
	SenderName string
	GiftID     string
	Count      int
	// IdemKey makes retries safe: the same key sends (or orders) once.
	IdemKey string
}

func (r *Request) check() error {
	if r.Count == 0 {
		r.Count = 1
	}
	switch {
	case r.Count < 1 || r.Count > 9999:
		return fmt.Errorf("%w: count is 1 to 9999", ErrInvalid)
	case r.IdemKey == "" || len(r.IdemKey) > 128:
		return fmt.Errorf("%w: an Idempotency-Key (at most 128 bytes) is required", ErrInvalid)
	case len(r.SenderName) > 64:
		r.SenderName = r.SenderName[:64]
	}
	return nil
}

// Order places a gift order: the viewer pays it like any order
// (POST /api/orders/{id}/pay); its order.paid event delivers the gift.
func (s *Service) Order(ctx context.Context, r Request) (order.Order, error) {
	if err := r.check(); err != nil {
		return order.Order{}, err
	}
	g, err := s.store.Get(ctx, r.GiftID)
	if err != nil {
		return order.Order{}, err
	}
	o, _, err := s.orders.CreateKind(ctx, r.User, "gift:"+r.IdemKey, order.KindRequest{Kind: order.KindGift, Ref: g.ID, Title: g.Name,
		Room: r.Room, Quantity: r.Count, UnitPriceMinor: g.PriceMinor, Currency: g.Currency})
	if err != nil {
		return order.Order{}, err
	}
	if err := s.store.orderName(ctx, o.ID, r.SenderName); err != nil {
		return order.Order{}, err
	}
	return o, nil
}

// TopUp places a wallet top-up order of amount; paying it credits the wallet.
func (s *Service) TopUp(ctx context.Context, user, idemKey string, amount int64, currency string) (order.Order, error) {
	if amount < 1 || amount > 100_000_000 || len(currency) != 3 {
		return order.Order{}, fmt.Errorf("%w: amount_minor 1 to 1e8 and a 3-letter currency", ErrInvalid)
	}
	o, _, err := s.orders.CreateKind(ctx, user, "topup:"+idemKey, order.KindRequest{Kind: order.KindTopUp, Ref: strings.ToLower(currency),
		Title: "Wallet top-up", Quantity: 1, UnitPriceMinor: amount, Currency: currency})
	return o, err
}

// walletRef names a wallet gift: one per (user, idempotency key).
func walletRef(user, key string) string {
	h := sha256.Sum256([]byte(user + "\x00" + key))
	return "gw_" + hex.EncodeToString(h[:12])
}

// SendFromWallet debits the gift from the sender's wallet and sends it.
func (s *Service) SendFromWallet(ctx context.Context, r Request) (Sent, error) {
	if err := r.check(); err != nil {
		return Sent{}, err
	}
	g, err := s.store.Get(ctx, r.GiftID)
	if err != nil {
		return Sent{}, err
	}
	ref := walletRef(r.User, r.IdemKey)
	amount := g.PriceMinor * int64(r.Count)
	if _, err := s.wallet.Move(ctx, r.User, g.Currency, -amount, "gift", ref); err != nil {
		return Sent{}, err
	}
	x := Sent{ID: ids.New("gft_"), Room: r.Room, Sender: r.User, SenderName: r.SenderName, GiftID: g.ID, Count: r.Count,
		AmountMinor: amount, Currency: g.Currency, Via: ViaWallet, At: s.now().UTC()}
	return s.deliver(ctx, x, g, ref)
}

// deliver records x once per ref; only the first recording tells the room
// and applies the tipping rules.
func (s *Service) deliver(ctx context.Context, x Sent, g Gift, ref string) (Sent, error) {
	x.GiftName, x.Tier, x.Large = g.Name, g.Tier, g.Tier >= LargeTier
	fresh, err := s.store.record(ctx, x, ref)
	if err != nil {
		return x, err
	}
	if fresh && s.notices != nil {
		if err := s.notices.Publish(ctx, x.Room, "gift.sent", x, x.Large, nil); err != nil {
			s.log.Warn("gift notice", "room", x.Room, "err", err)
		}
	}
	// The rules run on every delivery (each unlock and reward is once per
	// rule and user), so a retry finishes what a failure left undone.
	return x, s.applyRules(ctx, x)
}

// applyRules unlocks every rule of x's room the sender now reaches, once.
func (s *Service) applyRules(ctx context.Context, x Sent) error {
	rules, err := s.store.Rules(ctx, x.Room)
	if err != nil || len(rules) == 0 {
		return err
	}
	total, err := s.store.senderTotal(ctx, x.Room, x.Sender, x.Currency)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Currency != x.Currency || total < r.ThresholdMinor {
			continue
		}
		if _, err := s.store.unlock(ctx, r, x.Sender, s.now()); err != nil {
			return err
		}
		switch r.Reward {
		case RewardPoints:
			if _, err := s.wallet.Move(ctx, x.Sender, "points", r.Points, "gift_reward", r.ID+":"+x.Sender); err != nil {
				return err
			}
		case RewardCoupon:
			if err := s.issueCoupon(ctx, r, x.Sender); err != nil {
				return err
			}
		}
	}
	return nil
}

// ApplyOrderEvent delivers what a paid order of kind gift or topup bought,
// once per order however often the event (or the provider's callback
// behind it) is delivered.
func (s *Service) ApplyOrderEvent(ctx context.Context, ev events.OrderEvent) error {
	if ev.Type != events.OrderPaid {
		return nil
	}
	switch order.KindOf(ev.ProductID) {
	case order.KindTopUp:
		_, err := s.wallet.Move(ctx, ev.UserID, ev.Currency, ev.AmountMinor, "topup", ev.OrderID)
		return err
	case order.KindGift:
		g, err := s.store.Get(ctx, strings.TrimPrefix(ev.ProductID, order.KindGift+":"))
		if errors.Is(err, ErrNotFound) {
			s.log.Warn("paid gift order of an unknown gift", "order", ev.OrderID, "product", ev.ProductID)
			return nil
		}
		if err != nil {
			return err
		}
		x := Sent{ID: ids.New("gft_"), Room: ev.Room, Sender: ev.UserID, SenderName: s.store.nameOf(ctx, ev.OrderID), GiftID: g.ID,
			Count: ev.Quantity, AmountMinor: ev.AmountMinor, Currency: ev.Currency, Via: ViaOrder, At: s.now().UTC()}
		_, err = s.deliver(ctx, x, g, ev.OrderID)
		return err
	}
	return nil
}
