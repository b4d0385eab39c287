//go:build browser

package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCartFromTheGoodsDrawer is #12's cart and variants, acted out by a
// viewer with real clicks and keys: "Goods" opens a drawer with every
// product of the room (price, stock, size chips); she adds a tote and two
// shirts of size L (its own price), the cart shows both lines and the
// total, "Check out" opens the checkout and she pays ONE order in the
// sandbox; the stock of both products drops, and the drawer says so.
func TestCartFromTheGoodsDrawer(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Cart room", nil)
	var tote, shirt struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "Canvas tote", "price_minor": 1500, "currency": "USD", "stock": 5, "images": []string{"/assets/img/scarf.svg"},
	}, &tote)
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "Linen shirt", "price_minor": 3900, "currency": "USD", "stock": 0,
	}, &shirt)
	n.mustCall(t, "PUT", "/api/products/"+shirt.ID+"/variants/SHIRT-M", admin, map[string]any{"title": "M", "options": map[string]string{"size": "M"}, "stock": 3, "position": 1}, nil)
	n.mustCall(t, "PUT", "/api/products/"+shirt.ID+"/variants/SHIRT-L", admin, map[string]any{"title": "L", "options": map[string]string{"size": "L"}, "price_minor": 4200, "stock": 2, "position": 2}, nil)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{tote.ID, shirt.ID}}, nil)

	browser := newBrowser(t)
	v := newPage(t, browser, "viewer", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "carol", "Carol"))
	item := func(id string) string { return `document.querySelector('.ls-goods-item[data-product="` + id + `"]')` }
	v.waitFor(15*time.Second, shown(`document.querySelector('.ls-goods-btn')`), "the Goods button")
	v.clickCSS(".ls-goods-btn")
	v.waitFor(10*time.Second, shown(item(tote.ID))+` && `+shown(item(shirt.ID)), "both products in the drawer")
	if got := v.text(`[...document.querySelectorAll('.ls-goods-name')].map(e => e.textContent).join(', ')`); got != "Canvas tote, Linen shirt" {
		t.Fatalf("drawer lists %q, want the room's order: Canvas tote, Linen shirt", got)
	}
	if got := v.text(item(tote.ID) + `.querySelector('.ls-goods-meta').textContent`); got != "$15.00 · 5 left" {
		t.Fatalf("the tote reads %q", got)
	}
	// The shirt's first size in stock is chosen: M at the product's price.
	if got := v.text(item(shirt.ID) + `.querySelector('.ls-goods-meta').textContent`); got != "$39.00 · 3 left" {
		t.Fatalf("the shirt (size M) reads %q", got)
	}

	v.click(item(tote.ID) + `.querySelector('.ls-goods-add')`)
	v.waitFor(5*time.Second, `document.querySelector('.ls-cart-count').textContent === '1'`, "1 item in the cart")
	v.click(item(shirt.ID) + `.querySelector('.ls-goods-opt[data-sku="SHIRT-L"]')`)
	v.waitFor(5*time.Second, item(shirt.ID)+`.querySelector('.ls-goods-meta').textContent === '$42.00 · 2 left'`, "size L's own price and stock")
	v.fill(item(shirt.ID)+`.querySelector('.ls-goods-qty')`, "2")
	v.click(item(shirt.ID) + `.querySelector('.ls-goods-add')`)
	v.waitFor(5*time.Second, `document.querySelector('.ls-cart-count').textContent === '3'`, "3 units in the cart")
	if got := v.text(`[...document.querySelectorAll('.ls-cart-line')].map(e => e.querySelector('.ls-cart-name').textContent + ' ' + e.querySelector('.ls-cart-qty').textContent + ' ' + e.querySelector('.ls-cart-amount').textContent).join('; ')`); got != "Canvas tote × 1 $15.00; Linen shirt (L) × 2 $84.00" {
		t.Fatalf("cart lines read %q", got)
	}
	if got := v.text(`document.querySelector('.ls-cart-total').textContent`); got != "Total: $99.00" {
		t.Fatalf("cart total reads %q", got)
	}
	v.screenshot("viewer-cart")

	v.clickCSS(".ls-cart-checkout")
	v.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page of the cart's order")
	v.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	v.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "the paid order")
	v.clickCSS(".ls-checkout-close")
	v.waitFor(10*time.Second, `document.querySelector('.ls-cart-count').textContent === '0' && document.querySelector('.ls-goods-msg').textContent === 'Paid — thank you! Your order is on its way.'`, "an empty cart and the thank-you line")

	// One order, two lines, paid.
	var orders struct {
		Orders []struct {
			Status      string `json:"status"`
			AmountMinor int64  `json:"amount_minor"`
			Lines       []struct {
				ProductID string `json:"product_id"`
				SKU       string `json:"sku"`
				Quantity  int64  `json:"quantity"`
			} `json:"lines"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID, admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].Status != "PAID" || orders.Orders[0].AmountMinor != 9900 || len(orders.Orders[0].Lines) != 2 {
		t.Fatalf("orders of the room = %+v, want one PAID order of $99.00 with 2 lines", orders.Orders)
	}
	// The stock of both dropped, in the API and on screen.
	var p struct {
		StockLeft int64 `json:"stock_left"`
		Variants  []struct {
			SKU       string `json:"sku"`
			StockLeft int64  `json:"stock_left"`
		} `json:"variants"`
	}
	n.mustCall(t, "GET", "/api/products/"+tote.ID, "", nil, &p)
	if p.StockLeft != 4 {
		t.Fatalf("tote stock left = %d, want 4", p.StockLeft)
	}
	n.mustCall(t, "GET", "/api/products/"+shirt.ID, "", nil, &p)
	for _, vr := range p.Variants {
		if vr.SKU == "SHIRT-L" && vr.StockLeft != 0 || vr.SKU == "SHIRT-M" && vr.StockLeft != 3 {
			t.Fatalf("shirt variants after the sale = %+v, want L 0 and M 3", p.Variants)
		}
	}
	v.waitFor(10*time.Second, item(tote.ID)+`.querySelector('.ls-goods-meta').textContent === '$15.00 · 4 left'`, "4 totes left in the drawer")
	v.click(item(shirt.ID) + `.querySelector('.ls-goods-opt[data-sku="SHIRT-L"]')`)
	v.waitFor(5*time.Second, item(shirt.ID)+`.querySelector('.ls-goods-meta').textContent === '$42.00 · Sold out' && `+item(shirt.ID)+`.querySelector('.ls-goods-add').disabled`, "size L sold out in the drawer")
	v.screenshot("viewer-cart-paid")
}

// TestCartRefusalInChinese: a zh-CN viewer's cart asks for more units than
// are left; the checkout and the drawer say so in a Chinese sentence, and
// nothing stays reserved.
func TestCartRefusalInChinese(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "购物车", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "棉T恤", "price_minor": 5900, "currency": "CNY", "stock": 2}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	browser := newBrowser(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.Env("LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8"))
	v := newPage(t, browser, "viewer-zh", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "wang", "王"))
	v.waitFor(15*time.Second, shown(`document.querySelector('.ls-goods-btn')`)+` && document.querySelector('.ls-goods-btn').textContent.startsWith('商品')`, "the Goods button in Chinese")
	v.clickCSS(".ls-goods-btn")
	v.waitFor(10*time.Second, `!!document.querySelector('.ls-goods-meta') && document.querySelector('.ls-goods-meta').textContent === '¥59.00 · 剩 2 件'`, "the T-shirt in the drawer, in Chinese")
	v.fill(`document.querySelector('.ls-goods-qty')`, "3")
	v.clickCSS(".ls-goods-add")
	v.waitFor(5*time.Second, `document.querySelector('.ls-cart-total').textContent === '合计：¥177.00'`, "the cart total in Chinese")
	v.clickCSS(".ls-cart-checkout")
	v.waitFor(10*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'error' && document.querySelector('.ls-checkout-msg').textContent === '抱歉，刚刚卖完了。'`, "the refusal as a Chinese sentence in the checkout")
	v.clickCSS(".ls-checkout-close")
	v.waitFor(10*time.Second, `document.querySelector('.ls-goods-msg').textContent === '抱歉，刚刚卖完了。' && document.querySelector('.ls-cart-count').textContent === '3'`, "the refusal in the drawer, the cart kept")
	var s struct {
		StockLeft int64 `json:"stock_left"`
	}
	n.mustCall(t, "GET", "/api/products/"+prod.ID+"/stock", "", nil, &s)
	if s.StockLeft != 2 {
		t.Fatalf("stock left after the refused cart = %d, want 2 (nothing reserved)", s.StockLeft)
	}
	v.screenshot("viewer-cart-refused-zh")
}
