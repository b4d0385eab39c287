//go:build browser

package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// deepActive is a JS expression: the focused element, through shadow roots.
const deepActive = `(() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a; })()`

// TestCheckoutLifecycle is #12's checkout that never strands stock, acted
// out by two buyers on /live with real clicks and keys: the card shows the
// per-buyer limit; a reserved last unit shows "All held — try again soon"
// to the other buyer (and "Sold out" once it is paid); Escape closes the checkout (focus stays inside it until then) and
// the unit is back on sale within a second; a failed payment says so in a
// sentence and gives the unit back within a second; a buyer who left
// their checkout finds their unpaid order in the room and pays it; the
// other buyer meanwhile reads why they cannot buy.
func TestCheckoutLifecycle(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Checkout room", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "Silk scarf", "price_minor": 2599, "currency": "USD", "stock": 1, "per_user_limit": 2, "images": []string{"/assets/img/scarf.svg"},
	}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", r.PushKey, map[string]any{"product_id": prod.ID}, nil)
	stockLeft := func() int64 {
		var s struct {
			StockLeft int64 `json:"stock_left"`
		}
		n.mustCall(t, "GET", "/api/products/"+prod.ID+"/stock", "", nil, &s)
		return s.StockLeft
	}
	// backWithin asserts the unit is on sale again (the stock API says so)
	// within d of since, the moment the input was sent.
	backWithin := func(since time.Time, d time.Duration, what string) {
		t.Helper()
		waitUntil(t, 5*time.Second, func() bool { return stockLeft() == 1 }, what)
		took := time.Since(since)
		t.Logf("%s: %s after the input", what, took.Round(time.Millisecond))
		if took > d {
			t.Fatalf("%s took %s, want within %s", what, took, d)
		}
	}

	browser := newBrowser(t)
	url := n.base + "/live/" + r.ID + "#token="
	alice := newPage(t, browser, "alice", url+mintUser(t, n, "alice", "Alice"))
	bob := newPage(t, browser, "bob", url+mintUser(t, n, "bob", "Bob"))
	for _, p := range []*page{alice, bob} {
		p.waitFor(15*time.Second, shown(`document.querySelector('.ls-buy')`)+` && document.querySelector('.ls-card-stock').textContent === '1 left'`, "the card with 1 left")
		if got := p.text(`document.querySelector('.ls-card-note').textContent`); got != "Limit 2 per person" {
			t.Fatalf("%s: the card's limit note is %q", p.name, got)
		}
		if u := p.text(`location.href`); strings.Contains(u, "token") {
			t.Fatalf("%s: the token is still in the address bar: %s", p.name, u)
		}
	}
	checkoutOpen := shown(`document.querySelector('.ls-checkout-box')`)

	// 1. Alice reserves the last unit; Bob sees it gone.
	alice.clickCSS(".ls-buy")
	alice.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page in Alice's checkout")
	if got := stockLeft(); got != 0 {
		t.Fatalf("stock left while Alice's order holds the unit = %d, want 0", got)
	}
	// Held, not sold: Bob reads that units may come back.
	bob.waitFor(10*time.Second, `document.querySelector('.ls-card-stock').textContent === 'All held — try again soon' && document.querySelector('.ls-buy').disabled`, "all held on Bob's card")

	// Keyboard: Tab keeps focus inside the dialog; Escape closes it.
	for i := 0; i < 4; i++ {
		alice.key(kb.Tab)
		if !alice.bool(`document.querySelector('.ls-checkout').contains(` + deepActive + `)`) {
			t.Fatalf("Tab %d moved focus out of the checkout to %s", i+1, alice.text(deepActive+`.outerHTML.slice(0, 80)`))
		}
	}
	closed := time.Now()
	alice.key(kb.Escape)
	backWithin(closed, time.Second, "the unit back on sale after Escape")
	alice.waitFor(5*time.Second, `!`+checkoutOpen, "Escape to close the checkout")
	bob.waitFor(10*time.Second, `document.querySelector('.ls-card-stock').textContent === '1 left' && !document.querySelector('.ls-buy').disabled`, "1 left again on Bob's card")

	// 2. A failed payment: a sentence, a way to try again, the unit back.
	alice.clickCSS(".ls-buy")
	alice.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page for the second try")
	// The clock starts when the click is sent, once the payment page can take it.
	waitUntil(t, 15*time.Second, func() bool {
		_, _, err := alice.frameTarget(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-fail")
		return err == nil
	}, "the sandbox's Fail button")
	failed := time.Now()
	alice.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-fail")
	// The stock first (the server cancels the order on the failed notice),
	// then the sentence (the checkout learns of the failure by polling).
	backWithin(failed, time.Second, "the unit back on sale after a failed payment")
	alice.waitFor(10*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'failed' && document.querySelector('.ls-checkout-msg').textContent.startsWith('The payment did not go through.') && `+shown(`document.querySelector('.ls-checkout-retry')`), "the failed payment message")
	alice.screenshot("viewer-payment-failed")
	alice.clickCSS(".ls-checkout-close")
	alice.waitFor(5*time.Second, `!`+checkoutOpen, "the checkout to close")

	// 3. Alice reserves again and leaves the page (reloads it): the room
	// offers her unpaid order, which she pays.
	alice.clickCSS(".ls-buy")
	alice.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page again")
	bob.waitFor(10*time.Second, `document.querySelector('.ls-buy').disabled && document.querySelector('.ls-card-stock').textContent === 'All held — try again soon'`, "Buy disabled for Bob, all held")
	alice.must(chromedp.Reload())
	alice.waitFor(15*time.Second, shown(`document.querySelector('.ls-pending')`)+` && document.querySelector('.ls-pending-text').textContent === 'You have an unpaid order: Silk scarf.'`, "Alice's unpaid order in the room")
	if got := stockLeft(); got != 0 {
		t.Fatalf("stock left with Alice's order still open = %d, want 0", got)
	}
	alice.screenshot("viewer-pending-order")
	alice.clickCSS(".ls-pending-pay")
	alice.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	alice.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "Alice's paid order")
	var orders struct {
		Orders []struct {
			Status string `json:"status"`
			UserID string `json:"user_id"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID+"&status=PAID", admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].UserID != "alice" {
		t.Fatalf("paid orders = %+v, want one of alice", orders.Orders)
	}
	bob.waitFor(10*time.Second, `document.querySelector('.ls-card-stock').textContent === 'Sold out'`, "Sold out on Bob's card after the sale")
}
