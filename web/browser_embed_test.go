//go:build browser

package web_test

import (
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// hostPage is the complete host page of docs/embed.md with the livesell
// origin, room and token filled in: the test serves the page the docs show.
func hostPage(t testing.TB, base, room, token string) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/embed.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- host page: tested by web/browser_embed_test.go -->\n```html\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/embed.md has no host page block")
	}
	page := strings.NewReplacer("https://live.example.com", base, `room="spring-sale"`, `room="`+room+`"`, "USER_JWT", token).Replace(string(m[1]))
	if strings.Contains(page, "live.example.com") || !strings.Contains(page, token) {
		t.Fatal("the host page's placeholders were not all replaced")
	}
	return page
}

// serveHost serves pages on a second loopback port: another origin than
// the livesell node. /{name} answers pages[name].
func serveHost(t testing.TB, pages map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// shownJS is a JS function (el) → true when a person sees el: it is laid
// out, not hidden, and on top at its centre.
const shownJS = `((el) => { if (!el || !el.isConnected || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
  const r = el.getBoundingClientRect(); if (r.width < 1 || r.height < 1) return false;
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
  let hit = document.elementFromPoint(x, y);
  while (hit && hit.shadowRoot) { const i = hit.shadowRoot.elementFromPoint(x, y); if (!i || i === hit) break; hit = i; }
  for (let n = hit; n; n = n.parentNode || n.host) if (n === el) return true;
  return false; })`

func shown(expr string) string { return shownJS + `(` + expr + `)` }

// embedded is a JS expression of an element inside the player's shadow root.
func embedded(sel string) string {
	return `document.querySelector('livesell-room').shadowRoot.querySelector(` + jsString(sel) + `)`
}

// TestEmbedOnAnotherOrigin is #12's embed: the host page of docs/embed.md,
// served from another origin, at 1280 px and in 360 px and 320 px boxes.
// Everything is done with real clicks at on-screen positions, so an
// overlay over Buy fails the test. The viewer likes, adds the presented
// product to the shop's own cart, closes the checkout once (the unit is
// back on sale within a second), then pays through the shop's cart
// hand-off; the shop hears every event; a withdrawn card disappears.
func TestEmbedOnAnotherOrigin(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Embed room", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "Silk scarf", "price_minor": 2599, "currency": "USD", "stock": 5, "images": []string{"/assets/img/scarf.svg"},
	}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	dana := mintUser(t, n, "dana", "Dana")
	shopHTML := hostPage(t, n.base, r.ID, dana)
	narrow := func(px string) string {
		return strings.Replace(shopHTML, "</head>", "<style>#player { flex: 0 0 "+px+"; width: "+px+"; }</style>\n</head>", 1)
	}
	host := serveHost(t, map[string]string{"shop": shopHTML, "shop360": narrow("360px"), "shop320": narrow("320px")})
	if strings.Contains(host, n.base) || host == n.base {
		t.Fatalf("the host page must be of another origin than %s", n.base)
	}

	browser := newBrowser(t)
	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", r.PushKey, map[string]any{"product_id": prod.ID}, nil)

	shop := newPage(t, browser, "shop-1280", host+"/shop")
	shop.waitFor(20*time.Second, `(async () => { const el = document.querySelector('livesell-room'); const s = el && el.stats && await el.stats(); return s && s.framesDecoded > 10; })()`, "playback inside the player")
	shop.waitFor(10*time.Second, embedded(".ls-card")+`.getBoundingClientRect().width > 0`, "the product card in the layout")
	// A like, with a real click (it fails when anything covers the button):
	// the shop hears the count.
	shop.click(embedded(".ls-like"))
	shop.waitFor(10*time.Second, shown(embedded(".ls-card")), "the product card, visible")
	if shop.bool(shown(embedded(".ls-checkout"))) {
		t.Fatal("the checkout overlay shows although nobody pressed Buy")
	}
	// The player is laid out by its box: in a wide box the video takes
	// most of it, beside the comment column.
	if w, box := shop.number(embedded(".ls-video")+`.getBoundingClientRect().width`), shop.number(`document.querySelector('livesell-room').getBoundingClientRect().width`); w < box/2 {
		t.Fatalf("video is %.0f px wide in a %.0f px box", w, box)
	}
	shop.waitFor(10*time.Second, `Number(document.getElementById('likes').textContent) >= 1`, "the likes event on the shop page")
	shop.waitFor(10*time.Second, `document.getElementById('on-air').textContent === 'Silk scarf'`, "the card-shown event on the shop page")

	// The card's button hands the item to the shop's own cart.
	shop.waitFor(5*time.Second, embedded(".ls-buy")+`.textContent === 'Add to cart'`, "the card's button to read Add to cart")
	shop.click(embedded(".ls-buy"))
	shop.waitFor(5*time.Second, `document.getElementById('cart-count').textContent === '1' && document.getElementById('cart-lines').textContent.includes('Silk scarf') && document.getElementById('cart-lines').textContent.includes('25.99')`, "the item in the shop's cart")
	if shop.bool(shown(embedded(".ls-checkout"))) {
		t.Fatal("Add to cart opened livesell's checkout")
	}

	// The shop's Checkout hands the line back to livesell's checkout; the
	// buyer closes it with ×: the unit is on sale again within a second.
	shop.clickCSS("#cart-checkout")
	shop.waitFor(10*time.Second, `!!document.body.dataset.orderCreated`, "the order-created event")
	stockIs := func(want int64) func() bool {
		return func() bool {
			var s struct {
				StockLeft int64 `json:"stock_left"`
			}
			n.mustCall(t, "GET", "/api/products/"+prod.ID+"/stock", "", nil, &s)
			return s.StockLeft == want
		}
	}
	if !stockIs(4)() {
		t.Fatal("the order did not hold a unit")
	}
	shop.waitFor(10*time.Second, shown(embedded(".ls-checkout-frame")), "the payment page in the checkout")
	shop.screenshot("embed-checkout-desktop")
	closedAt := time.Now() // the moment the close click is sent
	shop.click(embedded(".ls-checkout-close"))
	shop.waitFor(5*time.Second, `!`+shown(embedded(".ls-checkout")), "the checkout to close")
	waitUntil(t, 3*time.Second, stockIs(5), "the unit back on sale after closing the checkout")
	d := time.Since(closedAt)
	t.Logf("the unit back on sale %s after the close click", d.Round(time.Millisecond))
	if d > time.Second {
		t.Fatalf("the unit came back after %s, want within a second", d)
	}

	// Now the buyer pays through the same hand-off.
	shop.clickCSS("#cart-checkout")
	shop.clickInFrame(embedded(".ls-checkout-frame"), "/pay/sandbox/", "#sandbox-pay")
	shop.waitFor(20*time.Second, `!!document.body.dataset.orderPaid && document.getElementById('cart-status').textContent.startsWith('Thank you')`, "the paid order on the shop page")
	shop.waitFor(5*time.Second, `document.getElementById('cart-count').textContent === '0'`, "the shop's cart to empty")
	orderID := shop.text(`document.body.dataset.orderPaid`)
	var o struct {
		Status      string
		AmountMinor int64 `json:"amount_minor"`
	}
	n.mustCall(t, "GET", "/api/orders/"+orderID, admin, nil, &o)
	if o.Status != "PAID" || o.AmountMinor != 2599 {
		t.Fatalf("order %s = %+v, want PAID for 2599", orderID, o)
	}
	if !stockIs(4)() {
		t.Fatal("stock is not 4 after one paid unit")
	}
	shop.waitFor(10*time.Second, `document.getElementById('stock').textContent === '4 left'`, "the stock-changed event")
	shop.screenshot("embed-desktop")

	// 360 px and 320 px boxes on the same wide screen: a phone layout by
	// container size, the card and its button on top and clickable.
	for _, w := range []struct {
		path string
		px   float64
	}{{"shop360", 360}, {"shop320", 320}} {
		p := newPage(t, browser, w.path, host+"/"+w.path)
		p.waitFor(20*time.Second, shown(embedded(".ls-card")), "the card in the narrow box")
		if got := p.number(`document.querySelector('livesell-room').getBoundingClientRect().width`); got != w.px {
			t.Fatalf("%s: the player is %.0f px wide, want %.0f", w.path, got, w.px)
		}
		if vw := p.number(embedded(".ls-video") + `.getBoundingClientRect().width`); vw < w.px-2 {
			t.Fatalf("%s: the video is %.0f px wide in a %.0f px box (laid out by the window?)", w.path, vw, w.px)
		}
		if !p.bool(shown(embedded(".ls-buy")) + ` && ` + shown(embedded(".ls-card-price")) + ` && ` + shown(embedded(".ls-like"))) {
			t.Fatalf("%s: Buy, price or Like is hidden or covered", w.path)
		}
		// Nothing of the card sticks out of the box.
		if out := p.text(`(() => { const box = document.querySelector('livesell-room').getBoundingClientRect(); return [...document.querySelector('livesell-room').shadowRoot.querySelectorAll('.ls-card, .ls-buy, .ls-dm-input, .ls-dm-send, .ls-like')].filter(e => { const r = e.getBoundingClientRect(); return r.left < box.left - 0.5 || r.right > box.right + 0.5; }).map(e => e.className + ' ' + JSON.stringify(e.getBoundingClientRect())).join('; '); })()`); out != "" {
			t.Fatalf("%s: sticks out of the player: %s", w.path, out)
		}
		p.click(embedded(".ls-buy"))
		p.waitFor(5*time.Second, `document.getElementById('cart-count').textContent === '1'`, "the item in the cart from the narrow player")
		p.waitFor(10*time.Second, `!`+shown(embedded(".ls-status")), "no status text over the playing video")
		p.screenshot("embed-" + strings.TrimPrefix(w.path, "shop"))
		p.close()
	}

	// A phone showing the shop page.
	phone := newPage(t, browser, "shop-phone", "about:blank")
	phone.must(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	phone.must(chromedp.Navigate(host + "/shop"))
	phone.waitFor(20*time.Second, shown(embedded(".ls-card")), "the card on the phone")
	phone.screenshot("embed-phone")
	phone.close()

	// The anchor withdraws the card: it disappears, and the shop hears it.
	n.mustCall(t, "DELETE", "/api/rooms/"+r.ID+"/presenting", r.PushKey, nil, nil)
	shop.waitFor(10*time.Second, `!`+shown(embedded(".ls-card")), "the withdrawn card to disappear")
	shop.waitFor(5*time.Second, `document.getElementById('on-air').textContent === '–'`, "the card-hidden event")
}

// waitUntil polls cond until it is true or timeout passes.
func waitUntil(t testing.TB, timeout time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
