//go:build browser

package web_test

import (
	"testing"
	"time"
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

	// Products: add one to the room, then change its stock.
	d.typeText(`document.getElementById('p-title')`, "Linen shirt")
	d.typeText(`document.getElementById('p-price')`, "4500")
	d.typeText(`document.getElementById('p-image')`, "/assets/img/scarf.svg")
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
}
