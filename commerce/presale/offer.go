package presale

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/apierr"
)

// Pricing modes of a tier.
const (
	ModeFull    = "full"    // pay the whole price, get access
	ModeDeposit = "deposit" // a deposit locks a place, the balance is due before the show
	ModeTiered  = "tiered"  // early-bird price steps by units sold or by time
)

// Deposit rules: what happens to the deposit of a place whose balance was
// not paid in time.
const (
	DepositForfeit = "forfeit"
	DepositRefund  = "refund"
)

// Referral reward kinds.
const (
	RewardNone   = ""
	RewardCoupon = "coupon" // the referrer gets a coupon code per referred paid ticket
	RewardRefund = "refund" // the referrer gets part of their own ticket refunded
)

// Step is one price step: the first Quantity places of the step (-1 or 0:
// no cap of its own) until Until (zero: no end) at PriceMinor.
type Step struct {
	Quantity   int64     `json:"quantity"`
	Until      time.Time `json:"until,omitzero"`
	PriceMinor int64     `json:"price_minor"`
}

// Tier is one kind of ticket of a show.
type Tier struct {
	Name          string    `json:"name"`
	Title         string    `json:"title,omitempty"`
	Quantity      int64     `json:"quantity"` // -1 unlimited
	SalesStartsAt time.Time `json:"sales_starts_at,omitzero"`
	SalesEndsAt   time.Time `json:"sales_ends_at,omitzero"`
	Mode          string    `json:"mode"`
	// PriceMinor is the whole price of a full or deposit tier (a tiered
	// tier's prices are its Steps).
	PriceMinor int64  `json:"price_minor,omitempty"`
	Steps      []Step `json:"steps,omitempty"`
	// DepositMinor, BalanceDueAt and DepositRule are a deposit tier's.
	DepositMinor int64     `json:"deposit_minor,omitempty"`
	BalanceDueAt time.Time `json:"balance_due_at,omitzero"`
	DepositRule  string    `json:"deposit_rule,omitempty"`
	// DepositAdmits lets a paid deposit admit already (the offer does not
	// require the balance for access); a place released for an unpaid
	// balance then revokes it.
	DepositAdmits bool `json:"deposit_admits,omitempty"`
	// PerUser bounds one buyer's places in the tier (0: 1).
	PerUser int `json:"per_user,omitempty"`
	// Sources are the extra video sources this tier may watch.
	Sources []string `json:"sources,omitempty"`
	// Comment lets holders send danmaku; Highlight marks their danmaku.
	Comment   bool `json:"comment"`
	Highlight bool `json:"highlight,omitempty"`
}

// Reward is what a referrer gets per referred paid ticket.
type Reward struct {
	Kind        string `json:"kind"`
	CouponCode  string `json:"coupon_code,omitempty"`
	RefundMinor int64  `json:"refund_minor,omitempty"`
}

// Offer is a show's presale: its tiers and its referral reward.
type Offer struct {
	Room     string    `json:"room"`
	Title    string    `json:"title"`
	StartsAt time.Time `json:"starts_at"`
	Currency string    `json:"currency"`
	Tiers    []Tier    `json:"tiers"`
	Referral Reward    `json:"referral_reward"`
}

// Tier returns the offer's tier named name.
func (o *Offer) Tier(name string) (*Tier, bool) {
	for i := range o.Tiers {
		if o.Tiers[i].Name == name {
			return &o.Tiers[i], true
		}
	}
	return nil, false
}

// ErrInvalid is a malformed offer, ticket request or guest list.
var ErrInvalid = errors.New("presale: invalid")

var (
	tierName = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	currency = regexp.MustCompile(`^[A-Z]{3}$`)
	source   = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
)

// Limits of an offer.
const (
	MaxTiers    = 8
	MaxSteps    = 8
	MaxSources  = 4
	MaxQuantity = 10_000_000
	MaxPrice    = 1_000_000_000_00
)

// ParseOffer decodes and validates an offer body for room (PUT
// /api/rooms/{room}/presale).
func ParseOffer(room string, body []byte) (Offer, error) {
	var o Offer
	if err := apierr.DecodeJSON(body, &o); err != nil {
		return Offer{}, err
	}
	o.Room = room
	if err := o.Validate(); err != nil {
		return Offer{}, apierr.E(apierr.CodeInvalidOffer, "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return o, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Validate checks o and fills its defaults (a full or deposit tier's one step).
func (o *Offer) Validate() error {
	o.Title = strings.TrimSpace(o.Title)
	o.Currency = strings.ToUpper(strings.TrimSpace(o.Currency))
	o.StartsAt = o.StartsAt.UTC().Truncate(time.Millisecond)
	switch {
	case o.Title == "" || len(o.Title) > 200:
		return invalid("title is required (at most 200 bytes)")
	case o.StartsAt.IsZero():
		return invalid("starts_at is required")
	case !currency.MatchString(o.Currency):
		return invalid("currency is a three-letter code")
	case len(o.Tiers) == 0 || len(o.Tiers) > MaxTiers:
		return invalid("an offer has 1 to %d tiers", MaxTiers)
	}
	seen := map[string]bool{}
	for i := range o.Tiers {
		t := &o.Tiers[i]
		if err := t.validate(o.StartsAt); err != nil {
			return invalid("tier %d: %s", i+1, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
		}
		if seen[t.Name] {
			return invalid("tier %q is listed twice", t.Name)
		}
		seen[t.Name] = true
	}
	switch o.Referral.Kind {
	case RewardNone:
	case RewardCoupon:
		if c := strings.TrimSpace(o.Referral.CouponCode); c == "" || len(c) > 64 {
			return invalid("a coupon reward needs coupon_code (at most 64 bytes)")
		}
	case RewardRefund:
		if o.Referral.RefundMinor <= 0 || o.Referral.RefundMinor > MaxPrice {
			return invalid("a refund reward needs a positive refund_minor")
		}
	default:
		return invalid("referral_reward.kind is coupon, refund or empty")
	}
	return nil
}

func (t *Tier) validate(startsAt time.Time) error {
	// Times count in milliseconds, as the scripts compare them.
	ms := func(at *time.Time) { *at = at.UTC().Truncate(time.Millisecond) }
	ms(&t.SalesStartsAt)
	ms(&t.SalesEndsAt)
	ms(&t.BalanceDueAt)
	for i := range t.Steps {
		ms(&t.Steps[i].Until)
	}
	switch {
	case !tierName.MatchString(t.Name):
		return invalid("name is 1 to 32 of a-z 0-9 _ -")
	case len(t.Title) > 200:
		return invalid("title is at most 200 bytes")
	case t.Quantity == 0 || t.Quantity < -1 || t.Quantity > MaxQuantity:
		return invalid("quantity is 1 to %d, or -1 for unlimited", MaxQuantity)
	case !t.SalesEndsAt.IsZero() && !t.SalesEndsAt.After(t.SalesStartsAt):
		return invalid("sales_ends_at must be after sales_starts_at")
	case t.PerUser < 0 || t.PerUser > 100:
		return invalid("per_user is 0 to 100")
	case len(t.Sources) > MaxSources:
		return invalid("at most %d sources", MaxSources)
	}
	for _, s := range t.Sources {
		if !source.MatchString(s) {
			return invalid("source %q is 1 to 32 of a-z 0-9 _ -", s)
		}
	}
	switch t.Mode {
	case ModeFull, ModeDeposit:
		if t.PriceMinor <= 0 || t.PriceMinor > MaxPrice {
			return invalid("price_minor must be positive")
		}
		// A validated tier carries its one step; anything else is a mistake.
		if len(t.Steps) > 1 || len(t.Steps) == 1 && t.Steps[0] != (Step{Quantity: -1, PriceMinor: t.PriceMinor}) {
			return invalid("steps belong to a tiered tier")
		}
		t.Steps = []Step{{Quantity: -1, PriceMinor: t.PriceMinor}}
	case ModeTiered:
		if len(t.Steps) == 0 || len(t.Steps) > MaxSteps {
			return invalid("a tiered tier has 1 to %d steps", MaxSteps)
		}
		for j, s := range t.Steps {
			if s.PriceMinor <= 0 || s.PriceMinor > MaxPrice {
				return invalid("step %d: price_minor must be positive", j+1)
			}
			if s.Quantity < -1 || s.Quantity > MaxQuantity {
				return invalid("step %d: quantity is 0 to %d (0 or -1: no cap of its own)", j+1, MaxQuantity)
			}
			if s.Quantity == 0 {
				t.Steps[j].Quantity = -1
			}
		}
		t.PriceMinor = 0
	default:
		return invalid("mode is full, deposit or tiered")
	}
	if t.Mode == ModeDeposit {
		switch {
		case t.DepositMinor <= 0 || t.DepositMinor >= t.PriceMinor:
			return invalid("deposit_minor must be positive and below price_minor")
		case t.BalanceDueAt.IsZero() || t.BalanceDueAt.After(startsAt):
			return invalid("balance_due_at is required, at or before starts_at")
		case t.DepositRule != DepositForfeit && t.DepositRule != DepositRefund:
			return invalid("deposit_rule is forfeit or refund")
		}
	} else if t.DepositMinor != 0 || !t.BalanceDueAt.IsZero() || t.DepositRule != "" || t.DepositAdmits {
		return invalid("deposit_minor, balance_due_at, deposit_rule and deposit_admits belong to a deposit tier")
	}
	return nil
}

// tierKey is a tier's id in Redis and in ticket product ids: unique per
// show and tier (tier names are a-z0-9_-, room ids never hold a colon).
func tierKey(room, tier string) string { return room + "/" + tier }

// terms are t's terms for the ticket scripts.
func (t *Tier) terms() stock.TicketTerms {
	per := t.PerUser
	if per == 0 {
		per = 1
	}
	tt := stock.TicketTerms{Total: t.Quantity, PerUser: per, Open: t.SalesStartsAt, Close: t.SalesEndsAt}
	for _, s := range t.Steps {
		tt.Steps = append(tt.Steps, stock.TicketStep{Cap: s.Quantity, PriceMinor: s.PriceMinor, End: s.Until})
	}
	return tt
}

// encode is the offer's stored document.
func (o *Offer) encode() (string, error) {
	b, err := json.Marshal(o)
	return string(b), err
}
