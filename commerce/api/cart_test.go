package api_test

import (
	"testing"

	"github.com/livesell/livesell/commerce/api"
)

func TestParseOrder(t *testing.T) {
	cases := []struct {
		body  string
		ok    bool
		lines int // 0 = one product
	}{
		{`{"product_id":"prd_1","sku":"M"}`, true, 0},
		{`{"product_id":"prd_1","sku":"a b"}`, false, 0},
		{`{"lines":[{"product_id":"prd_1"},{"product_id":"prd_2","sku":"L","quantity":2}],"room":"r1"}`, true, 2},
		{`{"lines":[]}`, false, 0},
		{`{"lines":[{"product_id":"prd_1"}],"product_id":"prd_1"}`, false, 0},
		{`{"lines":[{"product_id":"prd_1"}],"quantity":2}`, false, 0},
		{`{"lines":[{"product_id":"prd_1"}],"room":"a.b"}`, false, 0},
		{`{"lines":[{"product_id":"prd_1","price_minor":1}]}`, false, 0},
		{`{"lines":{"product_id":"prd_1"}}`, false, 0},
		{`{"lines":[` + repeat(`{"product_id":"p"},`, 20) + `{"product_id":"p"}]}`, false, 0},
	}
	for _, c := range cases {
		r, cart, err := api.ParseOrder([]byte(c.body))
		if (err == nil) != c.ok {
			t.Fatalf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
		check(t, err)
		if !c.ok {
			continue
		}
		if c.lines == 0 && (cart != nil || r.ProductID == "") || c.lines > 0 && (cart == nil || len(cart.Lines) != c.lines) {
			t.Fatalf("%s: %+v %+v", c.body, r, cart)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

// FuzzParseOrder: any body is a 4xx API error or a bounded request.
func FuzzParseOrder(f *testing.F) {
	f.Add([]byte(`{"lines":[{"product_id":"prd_1","sku":"M","quantity":2}],"room":"r1"}`))
	f.Add([]byte(`{"product_id":"prd_1","sku":"M"}`))
	f.Add([]byte(`{"lines":[{"quantity":1e99}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, cart, err := api.ParseOrder(b)
		check(t, err)
		if err != nil {
			return
		}
		if cart == nil && (r.ProductID == "" || r.Quantity < 1 || r.Quantity > 100) {
			t.Fatalf("accepted %q as %+v", b, r)
		}
		if cart != nil && (len(cart.Lines) < 1 || len(cart.Lines) > 20) {
			t.Fatalf("accepted %q with %d lines", b, len(cart.Lines))
		}
	})
}
