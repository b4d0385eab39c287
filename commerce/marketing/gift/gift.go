// Package gift runs gifts and tips (打赏): a catalogue of gifts, sent to
// a room's anchor either paid as an order of kind "gift" through the
// payment providers and their signed, idempotent callbacks (delivered by a
// consumer of order.paid events) or from the sender's prepaid wallet
// (topped up through the same providers, orders of kind "topup"). Each
// payment is recorded once in the anchor's income ledger; the room sees
// the gift (large ones reliable and highlighted), a per-room leaderboard
// ranks the senders, and tipping rules unlock a reward for a viewer whose
// tips reach a threshold.
package gift

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/commerce/internal/ids"
	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the gift migrations (component "marketing-gift").
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "marketing-gift", "gift schema")
}

// Sentinel errors.
var (
	ErrInvalid  = errors.New("gift: invalid")
	ErrNotFound = errors.New("gift: not found")
)

// Gift is one catalogue entry. Tier (1–5) picks the animation; tier 3 and
// above are "large": shown reliably and highlighted.
type Gift struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Icon       string `json:"icon,omitempty"`
	PriceMinor int64  `json:"price_minor"`
	Currency   string `json:"currency"`
	Tier       int    `json:"tier"`
}

// LargeTier is the first tier shown reliably and highlighted.
const LargeTier = 3

// Check validates g.
func (g *Gift) Check() error {
	switch {
	case !ids.Valid(g.ID):
		return fmt.Errorf("%w: id must be 1-64 letters, digits, - _ .", ErrInvalid)
	case g.Name == "" || utf8.RuneCountInString(g.Name) > 40 || !utf8.ValidString(g.Name):
		return fmt.Errorf("%w: name is required (at most 40 characters)", ErrInvalid)
	case len(g.Icon) > 512:
		return fmt.Errorf("%w: icon is at most 512 bytes", ErrInvalid)
	case g.PriceMinor < 1 || g.PriceMinor > 100_000_000:
		return fmt.Errorf("%w: price_minor must be between 1 and 1e8", ErrInvalid)
	case len(g.Currency) != 3:
		return fmt.Errorf("%w: currency is a 3-letter code", ErrInvalid)
	case g.Tier < 1 || g.Tier > 5:
		return fmt.Errorf("%w: tier is 1 to 5", ErrInvalid)
	}
	return nil
}

// Sent is one gift sent, a line of the anchor's income ledger.
type Sent struct {
	ID          string    `json:"id"`
	Room        string    `json:"room"`
	Sender      string    `json:"-"`
	SenderName  string    `json:"sender_name"`
	GiftID      string    `json:"gift_id"`
	GiftName    string    `json:"gift_name,omitempty"`
	Tier        int       `json:"tier,omitempty"`
	Count       int       `json:"count"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Via         string    `json:"via"`
	At          time.Time `json:"at"`
	// Large is true for gifts of LargeTier and above.
	Large bool `json:"large,omitempty"`
}

// Ways of paying.
const (
	ViaWallet = "wallet"
	ViaOrder  = "order"
)

// Rule is a room's tipping rule: a viewer whose gifts in the room reach
// ThresholdMinor gets Reward once ("points": Points to the wallet;
// "unlock": a fan price or perk named Label, which the shop reads from
// the viewer's unlocks; "coupon": one claimed coupon of template CouponID,
// issued once per rule and viewer).
type Rule struct {
	ID             string `json:"id"`
	Room           string `json:"room"`
	ThresholdMinor int64  `json:"threshold_minor"`
	Currency       string `json:"currency"`
	Reward         string `json:"reward"`
	Points         int64  `json:"points,omitempty"`
	Label          string `json:"label,omitempty"`
	CouponID       string `json:"coupon_id,omitempty"`
}

// Rewards of a rule.
const (
	RewardPoints = "points"
	RewardUnlock = "unlock"
	RewardCoupon = "coupon"
)

// Check validates r.
func (r *Rule) Check() error {
	switch {
	case r.ThresholdMinor < 1:
		return fmt.Errorf("%w: threshold_minor must be positive", ErrInvalid)
	case len(r.Currency) != 3:
		return fmt.Errorf("%w: currency is a 3-letter code", ErrInvalid)
	case r.Reward == RewardPoints && r.Points < 1:
		return fmt.Errorf("%w: a points reward needs points", ErrInvalid)
	case r.Reward != RewardPoints && r.Reward != RewardUnlock && r.Reward != RewardCoupon:
		return fmt.Errorf("%w: reward is points, unlock or coupon", ErrInvalid)
	case (r.Reward == RewardCoupon) != (r.CouponID != ""):
		return fmt.Errorf("%w: coupon_id is required with a coupon reward, and only with it", ErrInvalid)
	case len(r.CouponID) > 64:
		return fmt.Errorf("%w: coupon_id is at most 64 bytes", ErrInvalid)
	case utf8.RuneCountInString(r.Label) > 80:
		return fmt.Errorf("%w: label is at most 80 characters", ErrInvalid)
	}
	return nil
}
