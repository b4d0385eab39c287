package order

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/internal/roomid"
	"github.com/livesell/livesell/internal/sqldb"
)

// Order kinds besides live goods. An order of another kind is paid through
// the same providers and signed, idempotent callbacks, but holds no stock:
// its ProductID is "<kind>:<ref>" (e.g. "gift:rose"), and a consumer of its
// order.paid event delivers what it bought (commerce/marketing/gift).
const (
	KindGift  = "gift"
	KindTopUp = "topup"
)

// KindOf is the kind of an order's product id ("" for live goods).
func KindOf(productID string) string {
	if k, _, ok := strings.Cut(productID, ":"); ok && (k == KindGift || k == KindTopUp) {
		return k
	}
	return ""
}

// KindRequest is an order of another kind: Quantity units of Ref at
// UnitPriceMinor each.
type KindRequest struct {
	Kind           string
	Ref            string
	Title          string
	Room           string
	Quantity       int
	UnitPriceMinor int64
	Currency       string
}

func (r KindRequest) hash() string {
	h := sha256.Sum256([]byte(r.Kind + "\x00" + r.Ref + "\x00" + strconv.Itoa(r.Quantity) + "\x00" + r.Room + "\x00" + strconv.FormatInt(r.UnitPriceMinor, 10)))
	return hex.EncodeToString(h[:16])
}

// CreateKind places an order of another kind for user, idempotent on
// idemKey like Create (the same key and request answer the same order).
func (s *Service) CreateKind(ctx context.Context, user, idemKey string, r KindRequest) (Order, bool, error) {
	switch {
	case KindOf(r.Kind+":") == "" || !ids.Valid(r.Ref):
		return Order{}, false, fmt.Errorf("%w: an order kind and ref are required", ErrInvalid)
	case r.Quantity < 1 || r.Quantity > s.opt.MaxQuantity*100:
		return Order{}, false, fmt.Errorf("%w: quantity out of range", ErrInvalid)
	case r.UnitPriceMinor < 1 || r.Currency == "":
		return Order{}, false, fmt.Errorf("%w: a price and currency are required", ErrInvalid)
	case r.Room != "" && !roomid.Valid(r.Room):
		return Order{}, false, fmt.Errorf("%w: room must be a room id", ErrInvalid)
	case len(idemKey) > 128:
		return Order{}, false, fmt.Errorf("%w: Idempotency-Key is longer than 128 bytes", ErrInvalid)
	}
	if idemKey == "" {
		idemKey = ids.New("auto_")
	}
	now := s.now().UTC().Truncate(1e6)
	id := orderID(user, idemKey)
	o := Order{ID: id, UserID: user, Room: r.Room, ProductID: r.Kind + ":" + r.Ref, ProductTitle: r.Title, Quantity: r.Quantity,
		UnitPriceMinor: r.UnitPriceMinor, AmountMinor: r.UnitPriceMinor * int64(r.Quantity), Currency: r.Currency, Status: Pending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.opt.TTL), idemKey: idemKey, requestHash: r.hash()}
	if err := s.store.Insert(ctx, o); err != nil {
		if sqldb.IsUniqueViolation(err) {
			prev, gerr := s.store.Get(ctx, id)
			if gerr != nil {
				return Order{}, false, gerr
			}
			return s.replay(prev, o.requestHash)
		}
		return Order{}, false, err
	}
	return o, true, nil
}
