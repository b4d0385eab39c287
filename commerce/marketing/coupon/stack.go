package coupon

import (
	"slices"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

// MaxPerOrder bounds the coupons one order may use.
const MaxPerOrder = 4

// maxCandidates bounds the claims Best considers.
const maxCandidates = 16

// Line is one order line as coupons see it: its product and its amount
// before any discount.
type Line struct {
	ProductID   string
	AmountMinor int64
}

// Pick is a claimed coupon offered to an order.
type Pick struct {
	ClaimID  string
	Template *Template
}

// Applied is what one coupon of a plan takes off.
type Applied struct {
	ClaimID       string `json:"claim_id"`
	TemplateID    string `json:"coupon_id"`
	Kind          Kind   `json:"kind"`
	DiscountMinor int64  `json:"discount_minor"`
	// Lines is this coupon's share of each order line (index as given).
	Lines []int64 `json:"lines"`
}

// Plan is the discount of a combination of coupons on an order.
type Plan struct {
	// Lines is each order line's discount (index as given).
	Lines         []int64   `json:"lines"`
	DiscountMinor int64     `json:"discount_minor"`
	FreeShipping  bool      `json:"free_shipping,omitempty"`
	Applied       []Applied `json:"applied,omitempty"`
}

// Combine is the one function of the coupon rules: it checks that picks
// may be used together on lines (in currency, at now) and computes their
// discount, or refuses naming the rule broken:
//
//	coupon_too_many         more than MaxPerOrder coupons
//	coupon_not_started      a coupon's window has not opened
//	coupon_expired          a coupon's window has closed
//	coupon_currency         a coupon in another currency than the order
//	coupon_products         no line is of a coupon's products
//	coupon_min_spend        the coupon's lines do not reach its minimum spend
//	coupon_stack_exclusive  an exclusive coupon with any other
//	coupon_stack_same_kind  two coupons of one kind
//	coupon_stack_percent    percent off with amount off or threshold
//
// Amount-off and threshold coupons are applied first (in the order given),
// each spread over its eligible lines in proportion to what is left of
// them; a percent-off coupon takes its percentage of its eligible lines
// (at most its cap); no line goes below zero. Minimum spends are checked
// on the lines' amounts before any coupon.
func Combine(lines []Line, currency string, picks []Pick, now time.Time) (Plan, error) {
	plan := Plan{Lines: make([]int64, len(lines))}
	if len(picks) > MaxPerOrder {
		return plan, apierr.E(apierr.CodeCouponTooMany, "at most %d coupons per order", MaxPerOrder)
	}
	for i, p := range picks {
		t := p.Template
		switch {
		case now.Before(t.StartsAt):
			return plan, apierr.E(apierr.CodeCouponNotStarted, "%s is valid from %s", t.Title, t.StartsAt.UTC().Format(time.RFC3339))
		case !now.Before(t.EndsAt):
			return plan, apierr.E(apierr.CodeCouponExpired, "%s expired at %s", t.Title, t.EndsAt.UTC().Format(time.RFC3339))
		case t.Currency != currency:
			return plan, apierr.E(apierr.CodeCouponCurrency, "%s is in %s, the order in %s", t.Title, t.Currency, currency)
		}
		sub := eligibleSum(lines, t, nil)
		if sub == 0 {
			return plan, apierr.E(apierr.CodeCouponProducts, "%s does not apply to these products", t.Title)
		}
		if sub < t.MinSpendMinor {
			return plan, apierr.E(apierr.CodeCouponMinSpend, "%s needs a spend of %d, the order's eligible lines come to %d", t.Title, t.MinSpendMinor, sub)
		}
		for _, q := range picks[:i] {
			if err := stackRule(q.Template, t); err != nil {
				return plan, err
			}
		}
	}
	left := make([]int64, len(lines))
	for i, l := range lines {
		left[i] = l.AmountMinor
	}
	// Amounts first, then percentages (they never stack, so the order
	// between the two only matters for clarity).
	ordered := slices.Clone(picks)
	slices.SortStableFunc(ordered, func(a, b Pick) int { return rank(a.Template.Kind) - rank(b.Template.Kind) })
	for _, p := range ordered {
		t := p.Template
		a := Applied{ClaimID: p.ClaimID, TemplateID: t.ID, Kind: t.Kind, Lines: make([]int64, len(lines))}
		switch t.Kind {
		case AmountOff, Threshold:
			a.DiscountMinor = spread(lines, left, t, t.AmountMinor, a.Lines)
		case PercentOff:
			d := eligibleSum(lines, t, left) * int64(t.Percent) / 100
			if t.CapMinor > 0 && d > t.CapMinor {
				d = t.CapMinor
			}
			a.DiscountMinor = spread(lines, left, t, d, a.Lines)
		case FreeShipping:
			plan.FreeShipping = true
		}
		for i, d := range a.Lines {
			plan.Lines[i] += d
		}
		plan.DiscountMinor += a.DiscountMinor
		plan.Applied = append(plan.Applied, a)
	}
	return plan, nil
}

// stackRule is the pairwise rule of two coupons of one order.
func stackRule(a, b *Template) error {
	switch {
	case a.Exclusive || b.Exclusive:
		x := a
		if b.Exclusive {
			x = b
		}
		return apierr.E(apierr.CodeCouponStackExclude, "%s cannot be combined with another coupon", x.Title)
	case a.Kind == b.Kind:
		return apierr.E(apierr.CodeCouponStackKind, "%s and %s are both %s coupons: at most one per order", a.Title, b.Title, a.Kind)
	case a.Kind == PercentOff && (b.Kind == AmountOff || b.Kind == Threshold),
		b.Kind == PercentOff && (a.Kind == AmountOff || a.Kind == Threshold):
		return apierr.E(apierr.CodeCouponStackPercent, "%s and %s: percent off does not combine with amount off", a.Title, b.Title)
	}
	return nil
}

func rank(k Kind) int {
	switch k {
	case AmountOff, Threshold:
		return 0
	case PercentOff:
		return 1
	}
	return 2
}

// applies reports whether t applies to product.
func applies(t *Template, product string) bool {
	return len(t.Products) == 0 || slices.Contains(t.Products, product)
}

// eligibleSum is the sum of t's lines: their amounts, or what is left of
// them when left is given.
func eligibleSum(lines []Line, t *Template, left []int64) int64 {
	var s int64
	for i, l := range lines {
		if applies(t, l.ProductID) {
			if left != nil {
				s += left[i]
			} else {
				s += l.AmountMinor
			}
		}
	}
	return s
}

// spread takes up to d off t's lines in proportion to what is left of
// them, writing each line's share to out and lowering left; it returns
// what it took.
func spread(lines []Line, left []int64, t *Template, d int64, out []int64) int64 {
	sum := eligibleSum(lines, t, left)
	if d > sum {
		d = sum
	}
	if d <= 0 {
		return 0
	}
	var taken int64
	for i, l := range lines {
		if applies(t, l.ProductID) {
			share := d * left[i] / sum
			out[i] = share
			taken += share
		}
	}
	// The rounding remainder (fewer units than lines) goes to lines with room.
	for i := 0; taken < d && i < len(lines); i++ {
		if applies(t, lines[i].ProductID) && left[i] > out[i] {
			add := min(d-taken, left[i]-out[i])
			out[i] += add
			taken += add
		}
	}
	for i := range out {
		left[i] -= out[i]
	}
	return taken
}

// Best chooses the combination of candidates that takes the most off
// lines (fewer coupons, then those expiring first, on a tie); ok is false
// when no candidate may be used. It tries every combination Combine
// accepts, so it never breaks a rule.
func Best(lines []Line, currency string, candidates []Pick, now time.Time) (Plan, []Pick, bool) {
	if len(candidates) > maxCandidates {
		candidates = candidates[:maxCandidates]
	}
	var best Plan
	var bestPicks []Pick
	found := false
	var try func(start int, cur []Pick)
	try = func(start int, cur []Pick) {
		if len(cur) > 0 {
			if p, err := Combine(lines, currency, cur, now); err == nil && better(p, cur, best, bestPicks, found) {
				best, bestPicks, found = p, slices.Clone(cur), true
			}
		}
		if len(cur) == MaxPerOrder {
			return
		}
		for i := start; i < len(candidates); i++ {
			try(i+1, append(cur, candidates[i]))
		}
	}
	try(0, make([]Pick, 0, MaxPerOrder))
	return best, bestPicks, found
}

func better(p Plan, picks []Pick, best Plan, bestPicks []Pick, found bool) bool {
	if !found {
		return true
	}
	if p.DiscountMinor != best.DiscountMinor {
		return p.DiscountMinor > best.DiscountMinor
	}
	if p.FreeShipping != best.FreeShipping {
		return p.FreeShipping
	}
	if len(picks) != len(bestPicks) {
		return len(picks) < len(bestPicks)
	}
	return soonest(picks).Before(soonest(bestPicks))
}

func soonest(picks []Pick) time.Time {
	var t time.Time
	for _, p := range picks {
		if t.IsZero() || p.Template.EndsAt.Before(t) {
			t = p.Template.EndsAt
		}
	}
	return t
}
