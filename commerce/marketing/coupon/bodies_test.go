package coupon

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseTemplate: any body is refused or yields a template that either
// fails Validate or whose Combine on a line never takes off more than the
// line, nor a negative amount.
func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(`{"title":"¥20 off over ¥199","kind":"threshold","amount_minor":2000,"min_spend_minor":19900,"currency":"CNY","total":1000,"starts_at":"2026-01-01T00:00:00Z","ends_at":"2027-01-01T00:00:00Z"}`), int64(29900))
	f.Add([]byte(`{"title":"9折","kind":"percent_off","percent":10,"cap_minor":5000,"total":5,"per_user":2,"ends_at":"2030-01-01T00:00:00Z","products":["p1"]}`), int64(100))
	f.Add([]byte(`{"kind":"free_shipping","audience":"tag","tag":"vip"}`), int64(1))
	f.Fuzz(func(t *testing.T, body []byte, amount int64) {
		tpl, err := ParseTemplate(body)
		if err != nil {
			return
		}
		if tpl.ID != "" || !tpl.CreatedAt.IsZero() {
			t.Fatalf("the body set server fields: %+v", tpl)
		}
		tpl.Room = "r1"
		if tpl.Validate() != nil || amount < 0 || amount > 1<<40 {
			return
		}
		at := tpl.StartsAt.Add(time.Nanosecond)
		product := "p1"
		if len(tpl.Products) > 0 {
			product = tpl.Products[0]
		}
		plan, err := Combine([]Line{{ProductID: product, AmountMinor: amount}}, tpl.Currency, []Pick{{ClaimID: "c", Template: &tpl}}, at)
		if err != nil {
			return
		}
		if plan.DiscountMinor < 0 || plan.DiscountMinor > amount || plan.Lines[0] != plan.DiscountMinor {
			t.Fatalf("plan %+v on %d", plan, amount)
		}
		if _, err := json.Marshal(tpl); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParsePush: any body is refused or gives seconds within the window.
func FuzzParsePush(f *testing.F) {
	f.Add([]byte(`{"seconds":60}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"seconds":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ParsePush(body)
		if err != nil {
			return
		}
		if b.Seconds < 0 || time.Duration(b.Seconds)*time.Second > MaxPushWindow {
			t.Fatalf("seconds %d accepted", b.Seconds)
		}
	})
}
