package commerce_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/images"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func variantLeft(t *testing.T, p map[string]any, sku string) float64 {
	t.Helper()
	vs, _ := p["variants"].([]any)
	for _, v := range vs {
		if m := v.(map[string]any); m["sku"] == sku {
			return m["stock_left"].(float64)
		}
	}
	t.Fatalf("no variant %s in %v", sku, p)
	return 0
}

// TestVariantsAndCartOverHTTP: an admin gives a product variants, a buyer
// checks out a cart of a variant and another product as one order with one
// payment; a refused cart names its line and takes nothing; cancel returns
// every line; refund is idempotent and ship works from the order list.
func TestVariantsAndCartOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		shirt := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Shirt", "price_minor": 3000, "currency": "USD", "per_user_limit": 5}, nil)
		sid := shirt["id"].(string)
		tea := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 1000, "currency": "USD", "stock": 10}, nil)
		tid := tea["id"].(string)
		vpath := "/api/products/" + sid + "/variants/"
		// Only the admin, only good bodies.
		if st, _ := h.do("PUT", vpath+"M", "lsk_pushkey_r1", map[string]any{"title": "M", "stock": 2}, nil); st != 401 && st != 403 {
			t.Fatalf("push key adds a variant: %d", st)
		}
		for _, bad := range []any{`{"title":""}`, `{"title":"M","stock":-1}`, `{"title":"M","price_minor":-5}`, `{"title":"M","colour":"red"}`, `nope`} {
			if st, raw := h.do("PUT", vpath+"M", adminToken, bad, nil); st != 400 || errCode(raw) == "" {
				t.Fatalf("variant body %v: %d %s", bad, st, raw)
			}
		}
		if st, raw := h.do("PUT", "/api/products/"+tid+"/variants/M", adminToken, map[string]any{"title": "M", "stock": 1}, nil); st != 400 || errCode(raw) != "invalid_product" {
			t.Fatalf("variant of a product with its own stock: %d %s", st, raw)
		}
		if st, _ := h.do("PUT", "/api/products/prd_nope/variants/M", adminToken, map[string]any{"title": "M"}, nil); st != 404 {
			t.Fatalf("variant of no product: %d", st)
		}
		v := h.must(200, "PUT", vpath+"M", adminToken, map[string]any{"title": "Size M", "options": map[string]string{"size": "M"}, "stock": 2}, nil)
		if v["stock_left"].(float64) != 2 || v["sku"] != "M" {
			t.Fatalf("variant %v", v)
		}
		h.must(200, "PUT", vpath+"L", adminToken, map[string]any{"title": "Size L", "options": map[string]string{"size": "L"}, "stock": 1, "price_minor": 3500, "position": 1}, nil)
		p := h.must(200, "GET", "/api/products/"+sid, "", nil, nil)
		if p["stock_total"].(float64) != 3 || p["stock_left"].(float64) != 3 || variantLeft(t, p, "M") != 2 || variantLeft(t, p, "L") != 1 {
			t.Fatalf("product with variants %v", p)
		}
		if st, raw := h.do("PUT", "/api/products/"+sid+"/stock", adminToken, map[string]any{"stock": 9}, nil); st != 400 || errCode(raw) != "invalid_product" {
			t.Fatalf("product stock of a product with variants: %d %s", st, raw)
		}

		alice, bob := h.token("alice"), h.token("bob")
		if st, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": sid}, nil); st != 400 || errCode(raw) != "invalid_request" {
			t.Fatalf("order without a variant: %d %s", st, raw)
		}
		for _, bad := range []any{
			map[string]any{"lines": []any{}},
			map[string]any{"lines": []any{map[string]any{"product_id": tid}}, "product_id": tid},
			map[string]any{"lines": []any{map[string]any{"product_id": tid, "quantity": 101}}},
			map[string]any{"lines": []any{map[string]any{"product_id": tid, "price_minor": 1}}},
		} {
			if st, raw := h.do("POST", "/api/orders", alice, bad, nil); st != 400 {
				t.Fatalf("cart %v: %d %s", bad, st, raw)
			}
		}
		// A cart: 2 tea + L (its own price) + M, one order.
		o := h.must(201, "POST", "/api/orders", alice, map[string]any{"lines": []any{
			map[string]any{"product_id": tid, "quantity": 2}, map[string]any{"product_id": sid, "sku": "L"}, map[string]any{"product_id": sid, "sku": "M"}}}, nil)
		if o["amount_minor"].(float64) != 2*1000+3500+3000 || len(o["lines"].([]any)) != 3 || o["quantity"].(float64) != 4 {
			t.Fatalf("cart order %v", o)
		}
		if st, raw := h.do("PUT", vpath+"M", adminToken, map[string]any{"title": "Size M", "stock": 0}, nil); st != 409 || errCode(raw) != "stock_below_held" {
			t.Fatalf("variant stock below what an order holds: %d %s", st, raw)
		}
		if p := h.must(200, "GET", "/api/products/"+sid, "", nil, nil); variantLeft(t, p, "M") != 1 || p["stock_total"].(float64) != 3 {
			t.Fatalf("a refused variant stock change changed %v", p)
		}
		// Bob's cart wants L too: sold out, named, and his tea stays on sale.
		st, raw := h.do("POST", "/api/orders", bob, map[string]any{"lines": []any{map[string]any{"product_id": tid}, map[string]any{"product_id": sid, "sku": "L"}}}, nil)
		if st != 409 || errCode(raw) != "sold_out" || !bytes.Contains(raw, []byte("line 2")) || !bytes.Contains(raw, []byte("variant L")) {
			t.Fatalf("refused cart: %d %s", st, raw)
		}
		if p := h.must(200, "GET", "/api/products/"+tid, "", nil, nil); p["stock_left"].(float64) != 8 {
			t.Fatalf("tea after a refused cart %v; want 8 left", p["stock_left"])
		}
		// Bob buys one variant alone, then cancels: his unit is back.
		bo := h.must(201, "POST", "/api/orders", bob, map[string]any{"product_id": sid, "sku": "M"}, nil)
		if p := h.must(200, "GET", "/api/products/"+sid, "", nil, nil); variantLeft(t, p, "M") != 0 || variantLeft(t, p, "L") != 0 {
			t.Fatalf("variants after two orders %v", p)
		}
		h.must(200, "POST", "/api/orders/"+bo["id"].(string)+"/cancel", bob, nil, nil)
		if p := h.must(200, "GET", "/api/products/"+sid, "", nil, nil); variantLeft(t, p, "M") != 1 {
			t.Fatalf("M after the cancel %v", p)
		}
		// Alice pays her cart once, through the sandbox.
		oid := o["id"].(string)
		co := h.must(200, "POST", "/api/orders/"+oid+"/pay", alice, map[string]any{"provider": "sandbox"}, nil)
		h.must(200, "POST", "/pay/sandbox/"+co["payment_id"].(string)+"/pay", alice, nil, nil)
		testenv.Eventually(t, 10*time.Second, func() bool {
			got := h.must(200, "GET", "/api/orders/"+oid, alice, nil, nil)
			return got["status"] == "PAID"
		}, "the cart order never became PAID")
		// Ship one order; refund another twice.
		if st, raw := h.do("POST", "/api/orders/"+oid+"/ship", alice, nil, nil); st != 401 && st != 403 {
			t.Fatalf("a buyer ships: %d %s", st, raw)
		}
		if got := h.must(200, "POST", "/api/orders/"+oid+"/ship", adminToken, nil, nil); got["status"] != "SHIPPED" {
			t.Fatalf("ship: %v", got)
		}
		if st, raw := h.do("POST", "/api/orders/"+oid+"/refund", adminToken, nil, nil); st != 409 || errCode(raw) != "state_conflict" {
			t.Fatalf("refund of a shipped order: %d %s", st, raw)
		}
		o2 := h.must(201, "POST", "/api/orders", bob, map[string]any{"lines": []any{map[string]any{"product_id": tid, "quantity": 3}, map[string]any{"product_id": sid, "sku": "M"}}}, nil)
		oid2 := o2["id"].(string)
		co2 := h.must(200, "POST", "/api/orders/"+oid2+"/pay", bob, map[string]any{"provider": "sandbox"}, nil)
		h.must(200, "POST", "/pay/sandbox/"+co2["payment_id"].(string)+"/pay", bob, nil, nil)
		for i := 0; i < 2; i++ {
			if got := h.must(200, "POST", "/api/orders/"+oid2+"/refund", adminToken, nil, nil); got["status"] != "REFUNDED" {
				t.Fatalf("refund %d: %v", i+1, got)
			}
		}
		if p := h.must(200, "GET", "/api/products/"+tid, "", nil, nil); p["stock_left"].(float64) != 8 {
			t.Fatalf("tea after the refund %v; want 8 (alice's 2 shipped)", p["stock_left"])
		}
		if p := h.must(200, "GET", "/api/products/"+sid, "", nil, nil); variantLeft(t, p, "M") != 1 {
			t.Fatalf("M after the refund %v", p)
		}
		testenv.Eventually(t, 10*time.Second, func() bool { return countEvents(t, b, ns)["refunded"] == 1 }, "want 1 refunded event")
		if n := countEvents(t, b, ns)["refunded"]; n != 1 {
			t.Fatalf("%d refunded events; want 1 (two refund calls, one refund)", n)
		}
	})
}

// TestRoomDrawer: a room's products, all of them, in the anchor's order,
// with variants, stock and the price charged there now.
func TestRoomDrawer(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		var ids []string
		for _, title := range []string{"A", "B", "C"} {
			p := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": title, "price_minor": 2000, "currency": "USD", "stock": 4}, nil)
			ids = append(ids, p["id"].(string))
		}
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": ids}, nil)
		h.must(200, "POST", "/api/rooms/r1/presenting", "lsk_pushkey_r1", map[string]any{"product_id": ids[1], "live_price_minor": 1500}, nil)
		goods := func() []map[string]any {
			m := h.must(200, "GET", "/api/rooms/r1/products", "", nil, nil)
			var out []map[string]any
			for _, g := range m["products"].([]any) {
				out = append(out, g.(map[string]any))
			}
			return out
		}
		g := goods()
		if len(g) != 3 || g[0]["id"] != ids[0] || g[1]["presented"] != true || g[1]["price_now_minor"].(float64) != 1500 || g[0]["price_now_minor"].(float64) != 2000 ||
			g[2]["stock_left"].(float64) != 4 || g[0]["open"] != true || g[2]["position"].(float64) != 2 {
			t.Fatalf("drawer %v", g)
		}
		// Reorder: C, A, B.
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{ids[2], ids[0], ids[1]}}, nil)
		if g := goods(); g[0]["id"] != ids[2] || g[1]["id"] != ids[0] || g[2]["id"] != ids[1] || g[2]["presented"] != true {
			t.Fatalf("reordered drawer %v", g)
		}
		if st, _ := h.do("PUT", "/api/rooms/r1/products", "lsk_pushkey_other", map[string]any{"product_ids": ids}, nil); st != 401 {
			t.Fatalf("reorder with a wrong key: %d", st)
		}
		// A product with variants: the drawer and the card list them with stock left.
		shirt := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Shirt", "price_minor": 3000, "currency": "USD"}, nil)
		sid := shirt["id"].(string)
		h.must(200, "PUT", "/api/products/"+sid+"/variants/S", adminToken, map[string]any{"title": "Small", "stock": 3}, nil)
		h.must(200, "PUT", "/api/products/"+sid+"/variants/XL", adminToken, map[string]any{"title": "Extra large", "stock": 1, "price_minor": 3300}, nil)
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{sid, ids[0]}}, nil)
		if g := goods(); len(g) != 2 || g[0]["id"] != sid || variantLeft(t, g[0], "S") != 3 || variantLeft(t, g[0], "XL") != 1 || g[0]["stock_left"].(float64) != 4 {
			t.Fatalf("drawer with variants %v", g)
		}
		h.must(200, "POST", "/api/rooms/r1/presenting", "lsk_pushkey_r1", map[string]any{"product_id": sid}, nil)
		h.must(201, "POST", "/api/orders", h.token("dora"), map[string]any{"product_id": sid, "sku": "XL", "room": "r1"}, nil)
		card := h.must(200, "GET", "/api/rooms/r1/presenting", "", nil, nil)
		if card["stock_left"].(float64) != 3 || variantLeft(t, card, "XL") != 0 || variantLeft(t, card, "S") != 3 {
			t.Fatalf("card with variants %v", card)
		}
		if vs := card["variants"].([]any); vs[1].(map[string]any)["price_minor"].(float64) != 3300 || vs[0].(map[string]any)["price_minor"].(float64) != 3000 {
			t.Fatalf("card variant prices %v", vs)
		}
		// The card published to the room (JetStream) carries them too.
		testenv.Eventually(t, 10*time.Second, func() bool {
			c, ok := h.c.Cards.Current("r1")
			return ok && c.ProductID == sid && len(c.Variants) == 2 && c.Variants[1].StockLeft == 0 && c.StockLeft == 3
		}, "the room's card never listed the variants with XL sold")
	})
}

// TestImageUpload: uploads are sniffed, bounded, stored by the node and
// served back; external image URLs must be https.
func TestImageUpload(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		dir := t.TempDir()
		h := newHarnessWith(t, b, ns, func(o *commerce.Options) {
			s, err := images.Open(context.Background(), "", dir, "", "")
			if err != nil {
				t.Fatal(err)
			}
			o.Images = s
		})
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...)
		asPNG := map[string]string{"Content-Type": "image/png"}
		if st, _ := h.do("POST", "/api/images", "", png, asPNG); st != 401 {
			t.Fatalf("anonymous upload: %d", st)
		}
		if st, _ := h.do("POST", "/api/images", h.token("eve"), png, asPNG); st != 403 && st != 401 {
			t.Fatalf("buyer upload: %d", st)
		}
		up := h.must(201, "POST", "/api/images", adminToken, png, asPNG)
		path := up["path"].(string)
		if !strings.HasPrefix(path, "/media/images/") || !strings.HasSuffix(path, ".png") || up["content_type"] != "image/png" || up["url"] != path {
			t.Fatalf("upload %v", up)
		}
		st, raw := h.do("GET", path, "", nil, nil)
		if st != 200 || !bytes.Equal(raw, png) {
			t.Fatalf("served image: %d %d bytes", st, len(raw))
		}
		// The same image from a browser form (multipart field "file").
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("file", "photo.png")
		fw.Write(png)
		mw.Close()
		if up2 := h.must(201, "POST", "/api/images", adminToken, form.Bytes(), map[string]string{"Content-Type": mw.FormDataContentType()}); up2["path"] != path {
			t.Fatalf("multipart upload %v; want the same name %s", up2, path)
		}
		var empty bytes.Buffer
		mw2 := multipart.NewWriter(&empty)
		mw2.WriteField("other", "x")
		mw2.Close()
		if st, raw := h.do("POST", "/api/images", adminToken, empty.Bytes(), map[string]string{"Content-Type": mw2.FormDataContentType()}); st != 400 || errCode(raw) != "invalid_request" {
			t.Fatalf("multipart without file: %d %s", st, raw)
		}
		// Lying about the type does not help: the bytes decide.
		for _, bad := range [][]byte{[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), []byte("GIF89a......"), []byte("<html>")} {
			if st, raw := h.do("POST", "/api/images", adminToken, bad, asPNG); st != 415 || errCode(raw) != "invalid_image" {
				t.Fatalf("upload of %q: %d %s", bad[:6], st, raw)
			}
		}
		big := append(append([]byte{}, png...), make([]byte, images.MaxBytes)...)
		if st, raw := h.do("POST", "/api/images", adminToken, big, asPNG); st != 413 {
			t.Fatalf("oversized upload: %d %s", st, raw)
		}
		for _, p := range []string{"/media/images/" + strings.Repeat("0", 40) + ".png", "/media/images/..%2f..%2fetc", "/media/images/x.svg"} {
			if st, raw := h.do("GET", p, "", nil, nil); st != 404 || errCode(raw) != "not_found" {
				t.Fatalf("GET %s: %d %s", p, st, raw)
			}
		}
		// Products take the uploaded path and https URLs; http:// is refused in words.
		h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Cup", "price_minor": 100, "currency": "USD", "images": []string{path, "https://cdn.example/cup.webp"}}, nil)
		st, raw = h.do("POST", "/api/products", adminToken, map[string]any{"title": "Cup", "price_minor": 100, "currency": "USD", "images": []string{"http://cdn.example/cup.png"}}, nil)
		if st != 400 || errCode(raw) != "invalid_product" || !bytes.Contains(raw, []byte("must be https://")) {
			t.Fatalf("http image: %d %s", st, raw)
		}
	})
}
