//go:build browser

package web_test

import (
	"strings"
	"testing"
	"time"
)

// TestCouponPushClaimBuy is #15's coupon acted out with real clicks: the
// anchor pushes "¥20 off over ¥199" from the studio; a viewer sees it over
// the video with its countdown, claims it in one tap, and the card shows
// the price after it (¥279.00, was ¥299.00); the viewer buys and the order
// is charged ¥279.00 (checked through the API); a viewer who joins after
// the push still sees the coupon with its countdown.
func TestCouponPushClaimBuy(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Coupon room", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "Silk scarf", "price_minor": 29900, "currency": "CNY", "stock": 10, "images": []string{"/assets/img/scarf.svg"},
	}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", r.PushKey, map[string]any{"product_id": prod.ID}, nil)

	browser := newBrowser(t)
	viewer := newPage(t, browser, "viewer", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "vera", "Vera"))
	price := `document.querySelector('.ls-card-price').textContent`
	viewer.waitFor(15*time.Second, shown(`document.querySelector('.ls-card')`)+` && `+price+` === '¥299.00'`, "the card at ¥299.00")
	if viewer.bool(shown(`document.querySelector('.ls-coupon')`)) {
		t.Fatal("a coupon is shown before the anchor pushed one")
	}

	// The anchor pushes the coupon from the studio (the form's defaults: 满减 ¥20 over ¥199, 60 s).
	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	studio.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the studio login")
	studio.typeText(`document.getElementById('login-key')`, r.PushKey+"\r")
	studio.waitFor(15*time.Second, `!!document.getElementById('coupon-push')`, "the Push coupon button")
	studio.clickCSS("#coupon-push")
	studio.waitFor(10*time.Second, `(document.querySelector('#coupon-list .coupon-item[data-live="true"] .coupon-head') || {}).textContent?.startsWith('Live: ¥20.00 off over ¥199.00 · 0:')`, "the pushed coupon live in the studio with its countdown")
	studio.screenshot("studio-coupon-pushed")

	// The viewer sees it with the countdown and claims it in one tap.
	viewer.waitFor(10*time.Second, shown(`document.querySelector('.ls-coupon')`)+` && document.querySelector('.ls-coupon-offer').textContent === '¥20.00 off over ¥199.00'`, "the pushed coupon over the video")
	clockText := viewer.text(`document.querySelector('.ls-coupon-clock').textContent`)
	if !strings.HasPrefix(clockText, "ends in 0:5") && clockText != "ends in 1:00" {
		t.Fatalf("the coupon's countdown reads %q", clockText)
	}
	viewer.clickCSS(".ls-coupon-claim")
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-coupon-msg').textContent === 'Claimed ✓ — applied at checkout'`, "the claimed coupon")
	viewer.waitFor(5*time.Second, price+` === '¥279.00' && document.querySelector('.ls-card-was').textContent === '¥299.00' && `+
		shown(`document.querySelector('.ls-card-coupon')`)+` && document.querySelector('.ls-card-coupon').textContent.endsWith('−¥20.00')`, "the card at ¥279.00 after the coupon")
	viewer.screenshot("viewer-coupon-claimed")

	// A viewer who joins after the push sees the coupon and its countdown.
	late := newPage(t, browser, "late", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "leo", "Leo"))
	late.waitFor(15*time.Second, shown(`document.querySelector('.ls-coupon')`)+` && document.querySelector('.ls-coupon-clock').textContent.startsWith('ends in 0:')`, "the coupon for a viewer who joined later")

	// Buy: the order is charged the card's price.
	viewer.clickCSS(".ls-buy")
	viewer.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page")
	waitUntil(t, 15*time.Second, func() bool {
		_, _, err := viewer.frameTarget(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
		return err == nil
	}, "the sandbox's Pay button")
	viewer.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	viewer.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "the paid order")
	var orders struct {
		Orders []struct {
			Status        string `json:"status"`
			UserID        string `json:"user_id"`
			AmountMinor   int64  `json:"amount_minor"`
			DiscountMinor int64  `json:"discount_minor"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID+"&status=PAID", admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].UserID != "vera" || orders.Orders[0].AmountMinor != 27900 || orders.Orders[0].DiscountMinor != 2000 {
		t.Fatalf("paid orders = %+v, want one of vera charged 27900 with 2000 off", orders.Orders)
	}
	// The studio's analytics count the claim, the use and the GMV.
	studio.waitFor(10*time.Second, `(document.querySelector('#coupon-list .coupon-item .hint') || {}).textContent === '1 claimed · 1 used · 1 orders · ¥279.00'`, "the coupon's analytics in the studio")
}
