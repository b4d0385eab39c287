package coupon

import (
	"errors"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/apierr"
)

var t0 = time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)

func tpl(id string, k Kind, f func(*Template)) *Template {
	t := &Template{ID: id, Room: "r1", Title: id, Kind: k, Currency: "CNY", Total: 10, PerUser: 1,
		StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(time.Hour), Audience: Everyone}
	switch k {
	case AmountOff:
		t.AmountMinor = 1000
	case Threshold:
		t.AmountMinor, t.MinSpendMinor = 2000, 19900
	case PercentOff:
		t.Percent = 10
	}
	if f != nil {
		f(t)
	}
	return t
}

func picks(ts ...*Template) []Pick {
	out := make([]Pick, len(ts))
	for i, t := range ts {
		out[i] = Pick{ClaimID: "cl-" + t.ID, Template: t}
	}
	return out
}

// TestCombine covers every rule of Combine: each conflict is refused with
// the code naming the rule, and the combinations that may stack give the
// discount the rules describe.
func TestCombine(t *testing.T) {
	scarf := []Line{{ProductID: "scarf", AmountMinor: 29900}}
	two := []Line{{ProductID: "scarf", AmountMinor: 15000}, {ProductID: "tea", AmountMinor: 5000}}
	for _, tc := range []struct {
		name     string
		lines    []Line
		currency string
		picks    []Pick
		rule     apierr.Code // refusal expected
		discount int64
		perLine  []int64
		freeShip bool
	}{
		{name: "amount off", lines: scarf, picks: picks(tpl("a", AmountOff, nil)), discount: 1000, perLine: []int64{1000}},
		{name: "threshold reached (¥20 off over ¥199)", lines: scarf, picks: picks(tpl("t", Threshold, nil)), discount: 2000, perLine: []int64{2000}},
		{name: "threshold not reached", lines: []Line{{ProductID: "scarf", AmountMinor: 19899}}, picks: picks(tpl("t", Threshold, nil)), rule: apierr.CodeCouponMinSpend},
		{name: "percent with cap", lines: scarf, picks: picks(tpl("p", PercentOff, func(t *Template) { t.Percent, t.CapMinor = 20, 3000 })), discount: 3000, perLine: []int64{3000}},
		{name: "percent under cap", lines: scarf, picks: picks(tpl("p", PercentOff, nil)), discount: 2990, perLine: []int64{2990}},
		{name: "free shipping takes nothing off", lines: scarf, picks: picks(tpl("f", FreeShipping, nil)), discount: 0, perLine: []int64{0}, freeShip: true},
		{name: "amount + threshold stack", lines: scarf, picks: picks(tpl("a", AmountOff, nil), tpl("t", Threshold, nil)), discount: 3000, perLine: []int64{3000}},
		{name: "percent + free shipping stack", lines: scarf, picks: picks(tpl("p", PercentOff, nil), tpl("f", FreeShipping, nil)), discount: 2990, perLine: []int64{2990}, freeShip: true},
		{name: "amount + threshold + free shipping", lines: scarf, picks: picks(tpl("a", AmountOff, nil), tpl("t", Threshold, nil), tpl("f", FreeShipping, nil)), discount: 3000, perLine: []int64{3000}, freeShip: true},
		{name: "two of one kind", lines: scarf, picks: picks(tpl("a1", AmountOff, nil), tpl("a2", AmountOff, nil)), rule: apierr.CodeCouponStackKind},
		{name: "two thresholds", lines: scarf, picks: picks(tpl("t1", Threshold, nil), tpl("t2", Threshold, nil)), rule: apierr.CodeCouponStackKind},
		{name: "two free shippings", lines: scarf, picks: picks(tpl("f1", FreeShipping, nil), tpl("f2", FreeShipping, nil)), rule: apierr.CodeCouponStackKind},
		{name: "percent with amount off", lines: scarf, picks: picks(tpl("p", PercentOff, nil), tpl("a", AmountOff, nil)), rule: apierr.CodeCouponStackPercent},
		{name: "threshold with percent", lines: scarf, picks: picks(tpl("t", Threshold, nil), tpl("p", PercentOff, nil)), rule: apierr.CodeCouponStackPercent},
		{name: "exclusive first", lines: scarf, picks: picks(tpl("x", AmountOff, func(t *Template) { t.Exclusive = true }), tpl("f", FreeShipping, nil)), rule: apierr.CodeCouponStackExclude},
		{name: "exclusive second", lines: scarf, picks: picks(tpl("f", FreeShipping, nil), tpl("x", Threshold, func(t *Template) { t.Exclusive = true })), rule: apierr.CodeCouponStackExclude},
		{name: "exclusive alone", lines: scarf, picks: picks(tpl("x", AmountOff, func(t *Template) { t.Exclusive = true })), discount: 1000, perLine: []int64{1000}},
		{name: "too many", lines: scarf, picks: picks(tpl("1", FreeShipping, nil), tpl("2", AmountOff, nil), tpl("3", Threshold, nil), tpl("4", PercentOff, nil), tpl("5", FreeShipping, nil)), rule: apierr.CodeCouponTooMany},
		{name: "not started", lines: scarf, picks: picks(tpl("a", AmountOff, func(t *Template) { t.StartsAt = t0.Add(time.Minute) })), rule: apierr.CodeCouponNotStarted},
		{name: "expired", lines: scarf, picks: picks(tpl("a", AmountOff, func(t *Template) { t.EndsAt = t0 })), rule: apierr.CodeCouponExpired},
		{name: "other currency", lines: scarf, currency: "USD", picks: picks(tpl("a", AmountOff, nil)), rule: apierr.CodeCouponCurrency},
		{name: "other products", lines: scarf, picks: picks(tpl("a", AmountOff, func(t *Template) { t.Products = []string{"tea"} })), rule: apierr.CodeCouponProducts},
		{name: "product coupon on its line only", lines: two, picks: picks(tpl("a", AmountOff, func(t *Template) { t.Products = []string{"tea"} })), discount: 1000, perLine: []int64{0, 1000}},
		{name: "spread in proportion", lines: two, picks: picks(tpl("a", AmountOff, func(t *Template) { t.AmountMinor = 1001 })), discount: 1001, perLine: []int64{751, 250}},
		{name: "min spend on eligible lines only", lines: two, picks: picks(tpl("t", Threshold, func(t *Template) { t.Products = []string{"tea"}; t.MinSpendMinor = 6000 })), rule: apierr.CodeCouponMinSpend},
		{name: "never below zero", lines: []Line{{ProductID: "scarf", AmountMinor: 500}}, picks: picks(tpl("a", AmountOff, nil)), discount: 500, perLine: []int64{500}},
		{name: "stacked amounts never below zero", lines: []Line{{ProductID: "scarf", AmountMinor: 20000}}, picks: picks(tpl("a", AmountOff, func(t *Template) { t.AmountMinor = 19000 }), tpl("t", Threshold, nil)), discount: 20000, perLine: []int64{20000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := tc.currency
			if cur == "" {
				cur = "CNY"
			}
			plan, err := Combine(tc.lines, cur, tc.picks, t0)
			if tc.rule != "" {
				var ae *apierr.Error
				if !errors.As(err, &ae) || ae.Code != tc.rule {
					t.Fatalf("err = %v, want the rule %s", err, tc.rule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.DiscountMinor != tc.discount || plan.FreeShipping != tc.freeShip {
				t.Fatalf("plan = %+v, want discount %d free shipping %v", plan, tc.discount, tc.freeShip)
			}
			for i, d := range tc.perLine {
				if plan.Lines[i] != d {
					t.Fatalf("line %d discount %d, want %d (%v)", i, plan.Lines[i], d, plan.Lines)
				}
			}
			var sum int64
			for _, a := range plan.Applied {
				sum += a.DiscountMinor
			}
			if sum != plan.DiscountMinor {
				t.Fatalf("applied coupons sum to %d, plan says %d", sum, plan.DiscountMinor)
			}
		})
	}
}

// TestBest picks the combination worth most to the buyer and never one
// Combine refuses.
func TestBest(t *testing.T) {
	scarf := []Line{{ProductID: "scarf", AmountMinor: 29900}}
	a := tpl("a", AmountOff, nil)                                                            // 1000
	th := tpl("t", Threshold, nil)                                                           // 2000
	p := tpl("p", PercentOff, func(t *Template) { t.Percent = 15 })                          // 4485
	x := tpl("x", AmountOff, func(t *Template) { t.Exclusive = true; t.AmountMinor = 5000 }) // 5000 alone
	f := tpl("f", FreeShipping, nil)                                                         // free shipping
	late := tpl("late", AmountOff, func(t *Template) { t.StartsAt = t0.Add(time.Hour) })     // not yet valid
	for _, tc := range []struct {
		name  string
		cands []*Template
		want  []string
		off   int64
	}{
		{"amount + threshold + shipping beat a small percent", []*Template{a, th, tpl("p5", PercentOff, func(t *Template) { t.Percent = 5 }), f}, []string{"a", "t", "f"}, 3000},
		{"percent beats a lone amount", []*Template{a, p}, []string{"p"}, 4485},
		{"a large percent beats amount + threshold", []*Template{a, th, p, f}, []string{"p", "f"}, 4485},
		{"exclusive worth most alone", []*Template{a, th, p, f, x}, []string{"x"}, 5000},
		{"invalid ones skipped", []*Template{late, f}, []string{"f"}, 0},
	} {
		plan, chosen, ok := Best(scarf, "CNY", picks(tc.cands...), t0)
		if !ok {
			t.Fatalf("%s: nothing chosen", tc.name)
		}
		var ids []string
		for _, c := range chosen {
			ids = append(ids, c.Template.ID)
		}
		if plan.DiscountMinor != tc.off || len(ids) != len(tc.want) {
			t.Fatalf("%s: chose %v (%d off), want %v (%d off)", tc.name, ids, plan.DiscountMinor, tc.want, tc.off)
		}
		for i := range ids {
			if ids[i] != tc.want[i] {
				t.Fatalf("%s: chose %v, want %v", tc.name, ids, tc.want)
			}
		}
	}
	if _, _, ok := Best(scarf, "CNY", picks(late), t0); ok {
		t.Fatal("Best chose a coupon that is not valid yet")
	}
}
