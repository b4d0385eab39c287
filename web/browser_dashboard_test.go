//go:build browser

package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The operator's dashboard: a wrong token is refused; a room is created
// from the form and its push key shown once; keys are issued, rotated and
// revoked; a product is added to the room and its stock changed; blocked
// words are saved; every change is checked through the API.
func TestDashboard(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	browser := newBrowser(t)
	d := newPage(t, browser, "dashboard", n.base+"/dashboard")

	d.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login form")
	d.typeText(`document.getElementById('login-token')`, "not-the-admin-token\r")
	d.waitFor(10*time.Second, `!document.getElementById('login').hidden && document.getElementById('login-error').textContent.includes('refused')`, "the refusal of a wrong token")
	if d.text(`sessionStorage.getItem('livesell.admin') || ''`) != "" {
		t.Fatal("a refused token was kept in sessionStorage")
	}
	d.fill(`document.getElementById('login-token')`, admin+"\r")
	d.waitFor(10*time.Second, `!document.getElementById('dash').hidden`, "the dashboard")

	// Create a room.
	d.fill(`document.getElementById('new-title')`, "Dashboard room")
	d.clickCSS("#new-room button[type=submit]")
	d.waitFor(10*time.Second, `!document.getElementById('secret').hidden && document.getElementById('secret-key').textContent.length > 20`, "the new push key")
	d.waitFor(10*time.Second, `document.getElementById('detail-id').textContent.length > 0`, "the new room's details")
	roomID := d.text(`document.getElementById('detail-id').textContent`)
	pushKey := d.text(`document.getElementById('secret-key').textContent`)
	if whip := d.text(`document.getElementById('secret-whip').textContent`); whip != n.base+"/whip/"+roomID {
		t.Fatalf("WHIP URL %q, want %s/whip/%s", whip, n.base, roomID)
	}
	var rooms struct {
		Rooms []struct {
			ID, Title string
		} `json:"rooms"`
	}
	n.mustCall(t, "GET", "/api/rooms", admin, nil, &rooms)
	if len(rooms.Rooms) != 1 || rooms.Rooms[0].ID != roomID || rooms.Rooms[0].Title != "Dashboard room" {
		t.Fatalf("rooms = %+v, want the one created from the dashboard (%s)", rooms.Rooms, roomID)
	}
	// The shown key is a working push key of that room.
	if st := n.call(t, "GET", "/api/rooms/"+roomID+"/timeline", pushKey, nil, nil); st != 200 {
		t.Fatalf("the push key shown by the dashboard is refused: %d", st)
	}

	// Keys: issue another, rotate it, revoke the first.
	d.waitFor(10*time.Second, `document.querySelectorAll('#keys .key').length === 1`, "one key listed")
	d.clickCSS("#new-key")
	d.waitFor(10*time.Second, `document.querySelectorAll('#keys .key:not(.revoked)').length === 2`, "two live keys")
	second := d.text(`document.getElementById('secret-key').textContent`)
	d.clickCSS(`#keys .key:not(.revoked):last-child button[aria-label^="Rotate"]`)
	d.waitFor(10*time.Second, `document.getElementById('secret-key').textContent !== `+jsString(second), "the rotated key")
	rotated := d.text(`document.getElementById('secret-key').textContent`)
	d.clickCSS(`#keys .key:first-child button[aria-label^="Revoke"]`)
	d.waitFor(10*time.Second, `document.querySelector('#keys .key:first-child').classList.contains('revoked')`, "the revoked key")
	for _, k := range []struct {
		key  string
		want int
	}{{pushKey, 403}, {second, 403}, {rotated, 200}} {
		if st := n.call(t, "GET", "/api/rooms/"+roomID+"/timeline", k.key, nil, nil); (st == 200) != (k.want == 200) {
			t.Errorf("key %.12s…: status %d, want %d", k.key, st, k.want)
		}
	}

	// Products: an http:// picture is refused in words (pages never show
	// one); the price is typed in dollars and stored in cents.
	d.typeText(`document.getElementById('p-title')`, "Linen shirt")
	d.typeText(`document.getElementById('p-price')`, "45.00")
	d.typeText(`document.getElementById('p-image')`, "http://images.example/shirt.png")
	d.clickCSS("#new-product button[type=submit]")
	d.waitFor(5*time.Second, `document.getElementById('dash-error').textContent.startsWith('An image URL must start with https://')`, "the refusal of an http:// image")
	d.fill(`document.getElementById('p-image')`, "/assets/img/scarf.svg")
	d.clickCSS("#new-product button[type=submit]")
	d.waitFor(10*time.Second, `document.querySelectorAll('#products tr[data-product]').length === 1 || (document.getElementById('dash-error').textContent && (() => { throw new Error(document.getElementById('dash-error').textContent); })())`, "the product in the room")
	productID := d.text(`document.querySelector('#products tr[data-product]').dataset.product`)
	var stock struct {
		StockLeft  int64 `json:"stock_left"`
		StockTotal int64 `json:"stock_total"`
	}
	n.mustCall(t, "GET", "/api/products/"+productID+"/stock", "", nil, &stock)
	if stock.StockLeft != 10 {
		t.Fatalf("stock left %d, want 10 (the form's default)", stock.StockLeft)
	}
	d.fill(`document.querySelector('.stock-input')`, "7")
	d.clickCSS(".stock-form button")
	d.waitFor(10*time.Second, `document.querySelector('#products .stock').textContent.startsWith('7 left')`, "the new stock")
	n.mustCall(t, "GET", "/api/products/"+productID+"/stock", "", nil, &stock)
	if stock.StockLeft != 7 || stock.StockTotal != 7 {
		t.Fatalf("stock = %+v, want 7 of 7", stock)
	}
	var got struct {
		PriceMinor int64  `json:"price_minor"`
		Title      string `json:"title"`
	}
	n.mustCall(t, "GET", "/api/products/"+productID, "", nil, &got)
	if got.PriceMinor != 4500 {
		t.Fatalf("price typed as 45.00 is stored as %d minor units, want 4500", got.PriceMinor)
	}
	row := `document.querySelector('#products tr[data-product=` + jsString(productID) + `]')`
	if txt := d.text(row + `.children[1].textContent`); txt != "$45.00" {
		t.Fatalf("the price column shows %q, want $45.00", txt)
	}
	// Edit: a new title and price ($89.00) and a floor.
	d.click(row + `.querySelector('button.edit')`)
	d.waitFor(5*time.Second, shown(`document.getElementById('edit-product')`)+` && document.getElementById('e-price').value === '45.00'`, "the edit form")
	d.fill(`document.getElementById('e-title')`, "Linen shirt, white")
	d.fill(`document.getElementById('e-price')`, "89.00")
	d.fill(`document.getElementById('e-floor')`, "79.00")
	d.clickCSS("#edit-product button[type=submit]")
	d.waitFor(10*time.Second, row+` && `+row+`.children[1].textContent === '$89.00' && `+row+`.children[0].textContent === 'Linen shirt, white'`, "the edited product")
	var edited struct {
		PriceMinor int64  `json:"price_minor"`
		Title      string `json:"title"`
		Floor      int64  `json:"min_live_price_minor"`
	}
	n.mustCall(t, "GET", "/api/products/"+productID, "", nil, &edited)
	if edited.PriceMinor != 8900 || edited.Title != "Linen shirt, white" || edited.Floor != 7900 {
		t.Fatalf("edited product = %+v, want 8900, the new title and a 7900 floor", edited)
	}
	var bound struct {
		Products []struct {
			ID string `json:"id"`
		} `json:"products"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+roomID+"/products", "", nil, &bound)
	if len(bound.Products) != 1 || bound.Products[0].ID != productID {
		t.Fatalf("room products = %+v, want %s", bound.Products, productID)
	}

	// Blocked words.
	d.fill(`document.getElementById('words')`, "spamword\nother")
	d.clickCSS("#words-form button")
	d.waitFor(10*time.Second, `document.getElementById('words-status').textContent.includes('2')`, "the saved words")
	var words struct {
		Words []string `json:"words"`
	}
	n.mustCall(t, "GET", "/api/moderation/words", admin, nil, &words)
	if len(words.Words) != 2 {
		t.Fatalf("blocked words = %v, want spamword and other", words.Words)
	}
	d.screenshot("dashboard-operations", true)

	// Unbind: the product leaves the room (it stays in the catalogue).
	d.click(row + `.querySelector('button.unbind')`)
	d.waitFor(10*time.Second, `document.querySelectorAll('#products tr[data-product]').length === 0`, "the product removed from the room")
	n.mustCall(t, "GET", "/api/rooms/"+roomID+"/products", "", nil, &bound)
	if len(bound.Products) != 0 {
		t.Fatalf("room products after removing = %+v, want none", bound.Products)
	}
	if st := n.call(t, "GET", "/api/products/"+productID, "", nil, nil); st != 200 {
		t.Fatalf("the removed product is gone from the catalogue: %d", st)
	}

	// Ending the live asks first.
	d.clickCSS("#end-room")
	d.waitFor(5*time.Second, `document.getElementById('end-confirm').open`, "the end confirmation")
	d.clickCSS("#end-keep")
	var rs struct {
		State string `json:"state"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+roomID, "", nil, &rs)
	if rs.State == "ended" {
		t.Fatal("Keep it live ended the room")
	}
	d.clickCSS("#end-room")
	d.clickCSS("#end-yes")
	waitUntil(t, 10*time.Second, func() bool { n.mustCall(t, "GET", "/api/rooms/"+roomID, "", nil, &rs); return rs.State == "ended" }, "the room to end")

	// A 390 px phone: no horizontal scrolling anywhere on the page.
	phone := newPage(t, browser, "dashboard-phone", "about:blank")
	phone.must(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Navigate(n.base+"/dashboard"))
	phone.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login on the phone")
	phone.fill(`document.getElementById('login-token')`, admin+"\r")
	phone.waitFor(10*time.Second, `!!document.querySelector('#rooms tr[data-room]')`, "the rooms on the phone")
	phone.click(`document.querySelector('#rooms tr[data-room] button')`)
	phone.waitFor(10*time.Second, `!document.getElementById('room-detail').hidden && document.querySelectorAll('#keys .key').length >= 1`, "the room on the phone")
	if w := phone.number(`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)`); w > 390 {
		t.Fatalf("the dashboard is %.0f px wide on a 390 px phone", w)
	}
	phone.screenshot("dashboard-phone", true)
}
