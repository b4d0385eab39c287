// Package draw runs lucky draws (抽奖 / 福袋) anyone can verify: the
// opening publishes a commitment to a secret seed, entries are counted
// once per user across nodes (a Redis hash, written only if absent), and
// the close reveals the seed with the sorted entry list of pseudonyms, from
// which the winners follow by the documented algorithm (algorithm.go,
// docs/marketing.md). Winners claim their prize (points to the wallet, or
// another prize through a Prizes adapter) within a window.
package draw

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/livesell/livesell/commerce/internal/migrate"
	"github.com/livesell/livesell/internal/sqldb"
)

//go:embed migrations/*.sql
var files embed.FS

// Migrate applies the draw migrations (component "marketing-draw").
func Migrate(ctx context.Context, db *sqldb.DB) error {
	return migrate.Embedded(ctx, db, files, "marketing-draw", "draw schema")
}

// Entry rules.
const (
	RuleKeyword = "keyword" // comment a danmaku containing Keyword
	RuleLike    = "like"    // like the room
	RuleTicket  = "ticket"  // hold a ticket of the room (press Enter)
	RuleTag     = "tag"     // carry user tag Tag (press Enter)
	RuleOpen    = "open"    // anyone signed in (press Enter)
)

// Draw states.
const (
	Open    = "open"
	closing = "closing"
	Closed  = "closed"
)

// Prize kinds.
const (
	PrizePoints  = "points"
	PrizeProduct = "product"
	PrizeCoupon  = "coupon"
)

// Prize is what each winner gets.
type Prize struct {
	Kind string `json:"kind"`
	// Points for PrizePoints.
	Points int64 `json:"points,omitempty"`
	// ProductID for PrizeProduct (an order at price 0).
	ProductID string `json:"product_id,omitempty"`
	// CouponID for PrizeCoupon (a coupon template).
	CouponID string `json:"coupon_id,omitempty"`
	Title    string `json:"title,omitempty"`
}

// Sentinel errors.
var (
	ErrInvalid    = errors.New("draw: invalid")
	ErrNotFound   = errors.New("draw: not found")
	ErrClosed     = errors.New("draw: closed")
	ErrNotEntered = errors.New("draw: the rule does not admit this user")
	ErrNewAccount = errors.New("draw: account created after the draw opened")
	ErrNotWinner  = errors.New("draw: not a winner")
	ErrClaimOver  = errors.New("draw: the claim window is over")
	ErrVetoed     = errors.New("draw: refused by the shop's risk check")
	ErrStillOpen  = errors.New("draw: still open")
)

// Draw is one lucky draw. Seed is empty until the draw closes.
type Draw struct {
	ID          string    `json:"id"`
	Room        string    `json:"room"`
	Title       string    `json:"title"`
	Rule        string    `json:"rule"`
	Keyword     string    `json:"keyword,omitempty"`
	Tag         string    `json:"tag,omitempty"`
	Prize       Prize     `json:"prize"`
	Winners     int       `json:"winners"`
	ExcludeNew  bool      `json:"exclude_new_accounts,omitempty"`
	Commitment  string    `json:"commitment"`
	Seed        string    `json:"seed,omitempty"`
	OpensAt     time.Time `json:"opens_at"`
	ClosesAt    time.Time `json:"closes_at"`
	ClaimWindow string    `json:"claim_window"`
	Status      string    `json:"status"`
	// Entered is how many have entered so far (GET routes).
	Entered int64 `json:"entered"`
	// Result is set once the draw closed.
	Result *Result `json:"result,omitempty"`

	claim time.Duration
	seed  string
	salt  []byte
}

// Result is what the close publishes.
type Result struct {
	Algorithm  string    `json:"algorithm"`
	Entries    int       `json:"entries"`
	WinnerIDs  []string  `json:"winners"`
	Vetoed     []string  `json:"vetoed,omitempty"`
	ClosedAt   time.Time `json:"closed_at"`
	ClaimUntil time.Time `json:"claim_until"`
	entries    []string
}

// Algorithm names the winner algorithm of algorithm.go.
const Algorithm = "livesell-draw-v1"

// Spec is what the anchor asks for.
type Spec struct {
	Room        string        `json:"-"`
	Title       string        `json:"title"`
	Rule        string        `json:"rule"`
	Keyword     string        `json:"keyword"`
	Tag         string        `json:"tag"`
	Prize       Prize         `json:"prize"`
	Winners     int           `json:"winners"`
	Duration    time.Duration `json:"-"`
	ClaimWindow time.Duration `json:"-"`
	ExcludeNew  bool          `json:"exclude_new_accounts"`
}

// Check validates s, filling defaults.
func (s *Spec) Check() error {
	s.Keyword = strings.TrimSpace(s.Keyword)
	if s.ClaimWindow == 0 {
		s.ClaimWindow = 24 * time.Hour
	}
	switch {
	case s.Title == "" || utf8.RuneCountInString(s.Title) > 80 || !utf8.ValidString(s.Title):
		return fmt.Errorf("%w: title is required (at most 80 characters)", ErrInvalid)
	case s.Rule != RuleKeyword && s.Rule != RuleLike && s.Rule != RuleTicket && s.Rule != RuleTag && s.Rule != RuleOpen:
		return fmt.Errorf("%w: rule must be keyword, like, ticket, tag or open", ErrInvalid)
	case s.Rule == RuleKeyword && (s.Keyword == "" || utf8.RuneCountInString(s.Keyword) > 20):
		return fmt.Errorf("%w: a keyword draw needs a keyword (at most 20 characters)", ErrInvalid)
	case s.Rule == RuleTag && s.Tag == "":
		return fmt.Errorf("%w: a tag draw needs a tag", ErrInvalid)
	case s.Winners < 1 || s.Winners > 1000:
		return fmt.Errorf("%w: winners must be between 1 and 1000", ErrInvalid)
	case s.Duration < time.Second || s.Duration > 24*time.Hour:
		return fmt.Errorf("%w: duration must be between 1s and 24h", ErrInvalid)
	case s.ClaimWindow < time.Minute || s.ClaimWindow > 30*24*time.Hour:
		return fmt.Errorf("%w: claim window must be between 1m and 30 days", ErrInvalid)
	}
	switch s.Prize.Kind {
	case PrizePoints:
		if s.Prize.Points < 1 || s.Prize.Points > 1_000_000_000 {
			return fmt.Errorf("%w: a points prize needs 1 to 1e9 points", ErrInvalid)
		}
	case PrizeProduct:
		if s.Prize.ProductID == "" {
			return fmt.Errorf("%w: a product prize needs product_id", ErrInvalid)
		}
	case PrizeCoupon:
		if s.Prize.CouponID == "" {
			return fmt.Errorf("%w: a coupon prize needs coupon_id", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: prize kind must be points, product or coupon", ErrInvalid)
	}
	return nil
}

func random32() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// Matches reports whether a danmaku text enters a keyword draw for kw:
// the keyword appears in the text, ignoring case and surrounding space.
func Matches(kw, text string) bool {
	return kw != "" && strings.Contains(strings.ToLower(text), strings.ToLower(kw))
}
