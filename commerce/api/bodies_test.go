package api_test

import (
	"errors"
	"testing"

	"github.com/livesell/livesell/commerce/api"
	"github.com/livesell/livesell/internal/apierr"
)

func TestParseOrderRequest(t *testing.T) {
	cases := []struct {
		body string
		ok   bool
		qty  int
	}{
		{`{"product_id":"prd_1"}`, true, 1},
		{`{"product_id":"prd_1","quantity":3,"room":"r1"}`, true, 3},
		{`{"product_id":"prd_1","quantity":101}`, false, 0},
		{`{"product_id":"prd_1","quantity":-1}`, false, 0},
		{`{"product_id":"../etc"}`, false, 0},
		{`{"product_id":"prd_1","room":"a b"}`, false, 0},
		{`{"product_id":"prd_1","price_minor":1}`, false, 0},
		{`{"product_id":"prd_1"} {"product_id":"prd_2"}`, false, 0},
		{`[]`, false, 0},
		{``, false, 0},
	}
	for _, c := range cases {
		r, err := api.ParseOrderRequest([]byte(c.body))
		if (err == nil) != c.ok {
			t.Fatalf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
		var ae *apierr.Error
		if err != nil && (!errors.As(err, &ae) || ae.Status >= 500) {
			t.Fatalf("%s: error %v is not a 4xx API error", c.body, err)
		}
		if c.ok && r.Quantity != c.qty {
			t.Fatalf("%s: quantity %d", c.body, r.Quantity)
		}
	}
}

// every parser must answer a 4xx API error or a value, never panic or 500.
func check(t *testing.T, err error) {
	if err == nil {
		return
	}
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500 {
		t.Fatalf("error %v is not a 4xx API error", err)
	}
}

func FuzzParseOrderRequest(f *testing.F) {
	f.Add([]byte(`{"product_id":"prd_1","quantity":2,"room":"r1"}`))
	f.Add([]byte(`{"quantity":1e99}`))
	f.Add([]byte(`{"product_id":"prd_1","coupons":["cl_1","cl_2"],"best_coupons":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := api.ParseOrderRequest(b)
		check(t, err)
		if err == nil && (r.Quantity < 1 || r.Quantity > 100 || r.ProductID == "" || len(r.Coupons) > 4) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func FuzzParseBodies(f *testing.F) {
	f.Add([]byte(`{"title":"Tea","price_minor":100,"currency":"USD","stock":5,"images":["https://x/y.jpg"]}`))
	f.Add([]byte(`{"product_id":"p","live_price_minor":5,"sale_starts_at":"2026-01-01T00:00:00Z","sale_ends_at":"2026-01-02T00:00:00Z"}`))
	f.Add([]byte(`{"product_ids":["a","b"]}`))
	f.Add([]byte(`{"user_id":"u1","name":"Ann"}`))
	f.Add([]byte(`{"provider":"sandbox"}`))
	f.Add([]byte(`{"stock":10}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := api.ParseProduct(b, true)
		check(t, err)
		_, err = api.ParseProduct(b, false)
		check(t, err)
		pr, err := api.ParsePresent(b)
		check(t, err)
		if err == nil && pr.SaleStartsAt != nil && pr.SaleEndsAt != nil && !pr.SaleEndsAt.After(*pr.SaleStartsAt) {
			t.Fatalf("accepted an empty sale window")
		}
		_, err = api.ParseBind(b)
		check(t, err)
		tb, err := api.ParseToken(b)
		check(t, err)
		if err == nil && (tb.UserID == "" || len(tb.UserID) > 128) {
			t.Fatalf("accepted user %q", tb.UserID)
		}
		_, err = api.ParsePay(b)
		check(t, err)
		n, err := api.ParseStock(b)
		check(t, err)
		if err == nil && n < 0 {
			t.Fatalf("accepted stock %d", n)
		}
	})
}
