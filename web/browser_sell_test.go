//go:build browser

package web_test

import (
	"testing"
	"time"
)

// TestStudioSells is #12's studio that sells, with real clicks and keys:
// the card's price is the price charged (a list price changed from $89 to
// $99 during the show is on every card at once, and the order is charged
// $99); the anchor sets a live price, a flash-sale window and the stock
// from the studio; a price under the operator's floor is refused in a
// sentence; every viewer sees the countdown with Buy disabled until the
// sale opens, then buys at the live price.
func TestStudioSells(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Flash sale", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "Linen shirt", "price_minor": 8900, "currency": "USD", "stock": 10, "images": []string{"/assets/img/scarf.svg"},
	}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	studio.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the studio login")
	studio.typeText(`document.getElementById('login-key')`, admin+"\r")
	studio.waitFor(10*time.Second, `document.querySelectorAll('#goods .good').length === 1`, "the goods in the studio")
	studio.clickCSS(`#goods .good .present`)
	studio.waitFor(10*time.Second, shown(`document.getElementById('sell-form')`)+` && document.getElementById('sell-price').value === '89.00'`, "the sell form with the list price")

	buyer := newPage(t, browser, "buyer", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "erin", "Erin"))
	price := `document.querySelector('.ls-card-price').textContent`
	buyer.waitFor(15*time.Second, shown(`document.querySelector('.ls-card')`)+` && `+price+` === '$89.00'`, "the card at $89.00")

	// The operator changes the list price during the show: the card follows
	// at once, and the order is charged what the card says.
	n.mustCall(t, "PATCH", "/api/products/"+prod.ID, admin, map[string]any{"price_minor": 9900}, nil)
	buyer.waitFor(5*time.Second, price+` === '$99.00'`, "the card at $99.00 after the list price change")
	buyer.clickCSS(".ls-buy")
	buyer.waitFor(10*time.Second, `!!document.querySelector('.ls-checkout-frame').src`, "the checkout")
	var orders struct {
		Orders []struct {
			ID          string `json:"id"`
			Status      string `json:"status"`
			AmountMinor int64  `json:"amount_minor"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID, admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].AmountMinor != 9900 {
		t.Fatalf("orders = %+v, want one charged 9900 (the card's $99.00)", orders.Orders)
	}
	buyer.clickCSS(".ls-checkout-close")
	buyer.waitFor(5*time.Second, `!`+shown(`document.querySelector('.ls-checkout-box')`), "the checkout to close")

	// The operator's floor: a live price under it is refused in a sentence.
	n.mustCall(t, "PATCH", "/api/products/"+prod.ID, admin, map[string]any{"min_live_price_minor": 5000}, nil)
	studio.clickCSS("#reload-goods")
	studio.fill(`document.getElementById('sell-price')`, "10.00")
	studio.clickCSS(`#sell-form button[type=submit]`)
	studio.waitFor(10*time.Second, `document.getElementById('sell-status').textContent === 'That price is below the lowest live price the shop allows for this product.'`, "the floor refusal")

	// A flash sale: $79.00 from 8 s from now for a minute, 7 in stock.
	studio.fill(`document.getElementById('sell-price')`, "79.00")
	studio.fill(`document.getElementById('sell-opens')`, "0.14")
	studio.fill(`document.getElementById('sell-lasts')`, "1")
	studio.fill(`document.getElementById('sell-stock')`, "7")
	studio.clickCSS(`#sell-form button[type=submit]`)
	studio.waitFor(10*time.Second, `document.getElementById('sell-status').textContent === 'Saved — viewers see it now.'`, "the sale saved")
	studio.screenshot("studio-sell")
	before := `document.querySelector('.ls-card').dataset.sale === 'before' && /^Sale opens in 0:0\d$/.test(document.querySelector('.ls-card-sale').textContent) && document.querySelector('.ls-buy').disabled && ` +
		price + ` === '$79.00' && document.querySelector('.ls-card-was').textContent === '$99.00' && document.querySelector('.ls-card-stock').textContent === '7 left'`
	buyer.waitFor(5*time.Second, before, "the countdown with Buy disabled")
	buyer.screenshot("viewer-flash-countdown")
	// A second viewer sees the same countdown.
	other := newPage(t, browser, "other", n.base+"/live/"+r.ID)
	other.waitFor(10*time.Second, before, "the countdown on another viewer")
	other.close()
	// Pressing the disabled Buy does nothing.
	buyer.clickCSS(".ls-buy")
	if buyer.bool(shown(`document.querySelector('.ls-checkout-box')`)) {
		t.Fatal("Buy opened the checkout before the sale")
	}
	buyer.waitFor(15*time.Second, `document.querySelector('.ls-card').dataset.sale === 'open' && document.querySelector('.ls-card-sale').textContent.startsWith('Sale ends in') && !document.querySelector('.ls-buy').disabled`, "the sale to open")
	buyer.clickCSS(".ls-buy")
	buyer.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	buyer.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "the paid order")
	n.mustCall(t, "GET", "/api/orders?room="+r.ID+"&status=PAID", admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].AmountMinor != 7900 {
		t.Fatalf("paid orders = %+v, want one at 7900 (the card's $79.00)", orders.Orders)
	}
}
