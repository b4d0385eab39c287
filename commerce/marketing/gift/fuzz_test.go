package gift_test

import (
	"testing"

	"github.com/livesell/livesell/commerce/marketing/gift"
)

// FuzzParsers: the gift routes' bodies either fail or yield values their
// checks accept.
func FuzzParsers(f *testing.F) {
	f.Add([]byte(`{"gift_id":"rose","count":3,"pay":"wallet"}`))
	f.Add([]byte(`{"name":"火箭","price_minor":5000,"currency":"CNY","tier":4}`))
	f.Add([]byte(`{"threshold_minor":10000,"currency":"CNY","reward":"points","points":88}`))
	f.Add([]byte(`{"amount_minor":1000,"currency":"CNY"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if id, n, pay, err := gift.ParseSend(body); err == nil && (id == "" || n < 0 || n > 9999 || (pay != gift.ViaOrder && pay != gift.ViaWallet)) {
			t.Fatalf("send accepted %q %d %q", id, n, pay)
		}
		if g, err := gift.ParseGift("rose", body); err == nil {
			if cerr := g.Check(); cerr != nil || g.ID != "rose" {
				t.Fatalf("gift accepted %+v: %v", g, cerr)
			}
		}
		if r, err := gift.ParseRule("r1", body); err == nil {
			if cerr := r.Check(); cerr != nil || r.Room != "r1" || r.ID != "" {
				t.Fatalf("rule accepted %+v: %v", r, cerr)
			}
		}
		if amt, cur, err := gift.ParseTopUp(body); err == nil && (amt < 1 || len(cur) != 3) {
			t.Fatalf("top-up accepted %d %q", amt, cur)
		}
	})
}
