//go:build browser

package web_test

import (
	"strings"
	"testing"
	"time"
)

// TestClosingScreenSellsAndPointsOn is #12's closing screen with real
// clicks: in an ended room whose operator set sell_after_end, a late
// visitor buys a product from the closing screen (paid at list price) and
// follows the link to the next scheduled show (next_room); in an ended room
// without it, the goods are listed with no Buy and no next show is shown.
func TestClosingScreenSellsAndPointsOn(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Blue mug", "price_minor": 1200, "currency": "USD", "stock": 3}, &prod)
	next := createRoom(t, n, "Tuesday show", map[string]any{"starts_at": time.Now().Add(26 * time.Hour).UTC().Format(time.RFC3339)})
	selling := createRoom(t, n, "Monday show", nil)
	plain := createRoom(t, n, "Sunday show", nil)
	for _, r := range []createdRoom{selling, plain} {
		n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
		n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/end", admin, nil, nil)
	}
	n.mustCall(t, "PATCH", "/api/rooms/"+selling.ID, admin, map[string]any{"sell_after_end": true, "next_room": next.ID}, nil)

	browser := newBrowser(t)
	closing := viewerState + ` === 'ended' && ` + shown(`document.querySelector('.ls-closing')`) +
		` && document.querySelector('.ls-closing-goods').textContent.includes('Blue mug')`

	// Without sell_after_end: the goods, no Buy, no next show.
	sun := newPage(t, browser, "sunday-visitor", n.base+"/live/"+plain.ID+"#token="+mintUser(t, n, "sam", "Sam"))
	sun.waitFor(15*time.Second, closing, "the closing screen with its goods")
	if sun.bool(`!!document.querySelector('.ls-closing-buy') || !!document.querySelector('.ls-closing-next') || ` + shown(`document.querySelector('.ls-buy')`)) {
		t.Fatalf("the closing screen of a room without sell_after_end offers a Buy or a next show: %s", sun.text(`document.querySelector('.ls-closing').outerHTML.slice(0, 600)`))
	}

	// With it: a working Buy and the next show's link.
	late := newPage(t, browser, "late-visitor", n.base+"/live/"+selling.ID+"#token="+mintUser(t, n, "lia", "Lia"))
	late.waitFor(15*time.Second, closing+` && `+shown(`document.querySelector('.ls-closing-buy')`)+
		` && document.querySelector('.ls-closing-buy').textContent === 'Buy now'`, "the closing screen with a Buy")
	late.waitFor(10*time.Second, shown(`document.querySelector('.ls-closing-next-link')`)+
		` && document.querySelector('.ls-closing-next-link').textContent === 'Tuesday show' && `+shown(`document.querySelector('.ls-closing-next-time')`),
		"the next show's title, time and link")
	late.screenshot("viewer-closing-sell")
	late.clickCSS(".ls-closing-buy")
	late.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page from the closing screen")
	late.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	late.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "the paid order")
	var orders struct {
		Orders []struct {
			UserID      string `json:"user_id"`
			AmountMinor int64  `json:"amount_minor"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+selling.ID+"&status=PAID", admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].UserID != "lia" || orders.Orders[0].AmountMinor != 1200 {
		t.Fatalf("paid orders of the ended room = %+v, want one of lia at 1200", orders.Orders)
	}
	late.clickCSS(".ls-checkout-close")
	late.waitFor(5*time.Second, `!`+shown(`document.querySelector('.ls-checkout-box')`), "the checkout to close")
	late.clickCSS(".ls-closing-next-link")
	late.waitFor(15*time.Second, `location.pathname === '/live/`+next.ID+`'`, "the next show's page")
	if u := late.text(`location.href`); !strings.HasSuffix(u, "/live/"+next.ID) {
		t.Fatalf("the next show's link led to %s", u)
	}
}
