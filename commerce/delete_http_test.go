package commerce_test

import (
	"context"
	"testing"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestDeleteProductOverHTTP: only the admin deletes; a presented product and
// a product with an order are refused with 409 state_conflict naming why; a
// deleted product is gone from the list, the room's goods, new orders and
// Redis.
func TestDeleteProductOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		ctx := context.Background()
		mk := func(title string) string {
			return h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": title, "price_minor": 1000, "currency": "USD", "stock": 5}, nil)["id"].(string)
		}
		shown, sold, spare := mk("Shown"), mk("Sold"), mk("Spare")
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{shown, sold, spare}}, nil)
		h.must(200, "POST", "/api/rooms/r1/presenting", "lsk_pushkey_r1", map[string]any{"product_id": shown}, nil)
		h.must(201, "POST", "/api/orders", h.token("alice"), map[string]any{"product_id": sold, "quantity": 1}, map[string]string{"Idempotency-Key": "del-1"})
		h.must(200, "GET", "/api/products/"+spare, "", nil, nil) // loads its stock keys

		for _, tc := range []struct {
			name, id, token string
			status          int
			code            string
		}{
			{"no token", spare, "", 401, "missing_token"},
			{"push key", spare, "lsk_pushkey_r1", 403, ""},
			{"no such product", "prd_nope", adminToken, 404, "product_not_found"},
			{"presented", shown, adminToken, 409, "state_conflict"},
			{"has an order", sold, adminToken, 409, "state_conflict"},
		} {
			st, raw := h.do("DELETE", "/api/products/"+tc.id, tc.token, nil, nil)
			if (st != tc.status && !(tc.status == 403 && st == 401)) || (tc.code != "" && errCode(raw) != tc.code) {
				t.Fatalf("%s: %d %s", tc.name, st, raw)
			}
		}
		if st, _ := h.do("GET", "/api/products/"+shown, "", nil, nil); st != 200 {
			t.Fatalf("refused delete removed the product: %d", st)
		}

		if st, raw := h.do("DELETE", "/api/products/"+spare, adminToken, nil, nil); st != 204 {
			t.Fatalf("delete: %d %s", st, raw)
		}
		if st, raw := h.do("GET", "/api/products/"+spare, "", nil, nil); st != 404 || errCode(raw) != "product_not_found" {
			t.Fatalf("deleted product still served: %d %s", st, raw)
		}
		list := h.must(200, "GET", "/api/products", "", nil, nil)
		for _, p := range list["products"].([]any) {
			if p.(map[string]any)["id"] == spare {
				t.Fatalf("deleted product listed: %v", list)
			}
		}
		goods := h.must(200, "GET", "/api/rooms/r1/products", "", nil, nil)
		if ps := goods["products"].([]any); len(ps) != 2 {
			t.Fatalf("room goods after delete: %v", goods)
		}
		if st, raw := h.do("POST", "/api/orders", h.token("bob"), map[string]any{"product_id": spare, "quantity": 1}, map[string]string{"Idempotency-Key": "del-2"}); st != 404 {
			t.Fatalf("order of a deleted product: %d %s", st, raw)
		}
		keys := h.c.Stock.Keys(spare)
		if n, err := b.Redis.Exists(ctx, keys[:]...).Result(); err != nil || n != 0 {
			t.Fatalf("stock keys of a deleted product: %d %v", n, err)
		}
		if st, _ := h.do("DELETE", "/api/products/"+spare, adminToken, nil, nil); st != 404 {
			t.Fatalf("second delete: %d", st)
		}
		// Once not presented, a product without orders can go.
		h.must(204, "DELETE", "/api/rooms/r1/presenting", "lsk_pushkey_r1", nil, nil)
		if st, raw := h.do("DELETE", "/api/products/"+shown, adminToken, nil, nil); st != 204 {
			t.Fatalf("delete after unpresenting: %d %s", st, raw)
		}
	})
}
