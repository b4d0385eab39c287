//go:build browser

package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
)

// TestGuestSignIn: a guest who presses Buy reads how to sign in, with a
// link to the shop's configured sign-in URL that comes back to the room;
// in the embed, the host page hears login-required and answers through
// its login hook. No order is made.
func TestGuestSignIn(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.SignInURL = "https://shop.example/login?next={return}" })
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Guests", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Blue mug", "price_minor": 1200, "currency": "USD", "stock": 3}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", r.PushKey, map[string]any{"product_id": prod.ID}, nil)
	browser := newBrowser(t)

	guest := newPage(t, browser, "guest", n.base+"/live/"+r.ID)
	guest.waitFor(15*time.Second, shown(`document.querySelector('.ls-buy')`), "the card")
	guest.clickCSS(".ls-buy")
	guest.waitFor(5*time.Second, shown(`document.querySelector('.ls-checkout-box')`)+` && document.querySelector('.ls-checkout-msg').textContent.startsWith('Please sign in to buy.') && `+shown(`document.querySelector('.ls-signin')`), "the sign-in message and link")
	want := "https://shop.example/login?next=" + url.QueryEscape(n.base+"/live/"+r.ID)
	if got := guest.text(`document.querySelector('.ls-signin').href`); got != want {
		t.Fatalf("sign-in link %q, want %q", got, want)
	}
	guest.screenshot("viewer-guest-signin")

	// The embed: the host page's login hook answers login-required.
	page := strings.Replace(hostPage(t, n.base, r.ID, "GUEST"), `token="GUEST"`, ``, 1)
	host := serveHost(t, map[string]string{"shop": page})
	shop := newPage(t, browser, "shop-guest", host+"/shop")
	shop.waitFor(15*time.Second, shown(embedded(".ls-buy")), "the card in the embed")
	// Without a token the card's button still hands the item to the shop's
	// cart; the shop's checkout hand-off then needs a buyer.
	shop.click(embedded(".ls-buy"))
	shop.waitFor(5*time.Second, `document.getElementById('cart-count').textContent === '1'`, "the item in the shop's cart")
	shop.clickCSS("#cart-checkout")
	shop.waitFor(10*time.Second, `document.body.dataset.loginRequired === 'true' && document.getElementById('cart-status').textContent === 'The payment did not complete; your cart is kept.'`, "login-required on the host page")
	var orders struct {
		Orders []struct{} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID, admin, nil, &orders)
	if len(orders.Orders) != 0 {
		t.Fatalf("a guest made %d orders", len(orders.Orders))
	}
}
