//go:build browser

package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chooseFile clicks the file field expr returns with a real mouse and, in
// the file chooser that opens, picks path (as a person does in the
// system's dialog, which DevTools intercepts).
func (p *page) chooseFile(expr, path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	on := true
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.SetInterceptFileChooserDialog, cdppage.SetInterceptFileChooserDialogParams{Enabled: on})
		return err
	})); err != nil {
		p.fail("intercept the file chooser: %v", err)
	}
	opened := make(chan cdppage.EventFileChooserOpened, 1)
	go func() {
		for ev, err := range chromedp.Events(ctx, cdppage.FileChooserOpened) {
			if err != nil {
				return
			}
			opened <- ev
			return
		}
	}()
	p.click(expr)
	select {
	case ev := <-opened:
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: []string{path}, BackendNodeID: ev.BackendNodeID})
			return err
		})); err != nil {
			p.fail("choose %s: %v", path, err)
		}
	case <-ctx.Done():
		p.fail("no file chooser opened on clicking %s", expr)
	}
}

// TestDashboardGoodsAndOrders is #12's dashboard, acted out by the operator
// with real clicks: a picture uploaded from a file fills the product's image
// URL and is served by the node; the room's two products change places with
// the arrows (viewers see the new order); from the order list one paid
// order is refunded and another shipped.
func TestDashboardGoodsAndOrders(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Goods room", nil)
	var mug, cap struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Alpha mug", "price_minor": 1200, "currency": "USD", "stock": 4}, &mug)
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Beta cap", "price_minor": 2500, "currency": "USD", "stock": 4}, &cap)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{mug.ID, cap.ID}}, nil)

	// A buyer orders a mug and pays on the sandbox page, with a click.
	buyer := mintUser(t, n, "dave", "Dave")
	var ord struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/orders", buyer, map[string]any{"product_id": mug.ID, "room": r.ID}, &ord, "Idempotency-Key", "dash-goods-order-1")
	var ord2 struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/orders", buyer, map[string]any{"product_id": cap.ID, "room": r.ID}, &ord2, "Idempotency-Key", "dash-goods-order-2")
	browser := newBrowser(t)
	for i, id := range []string{ord.ID, ord2.ID} {
		var pay struct {
			RedirectURL string `json:"redirect_url"`
		}
		n.mustCall(t, "POST", "/api/orders/"+id+"/pay", buyer, map[string]any{"provider": "sandbox"}, &pay)
		if pay.RedirectURL == "" {
			t.Fatal("the sandbox gave no payment page")
		}
		payer := newPage(t, browser, fmt.Sprintf("payer-%d", i+1), pay.RedirectURL)
		payer.clickCSS("#sandbox-pay")
		payer.waitFor(15*time.Second, `document.getElementById('sandbox-result') && document.getElementById('sandbox-result').dataset.status.toUpperCase() === 'PAID'`, "the paid sandbox page")
	}

	d := newPage(t, browser, "dashboard", n.base+"/dashboard")
	d.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login form")
	d.typeText(`document.getElementById('login-token')`, admin+"\r")
	d.waitFor(10*time.Second, `!document.getElementById('dash').hidden && !!document.querySelector('#rooms tr[data-room=`+jsString(r.ID)+`]')`, "the dashboard with the room")
	d.click(`document.querySelector('#rooms tr[data-room=` + jsString(r.ID) + `] button')`)
	names := `[...document.querySelectorAll('#products tr[data-product] td:first-child')].map(e => e.textContent).join(', ')`
	d.waitFor(10*time.Second, names+` === 'Alpha mug, Beta cap'`, "the room's two products")

	// Reorder: the mug goes down, the cap comes first.
	row := func(id string) string {
		return `document.querySelector('#products tr[data-product=` + jsString(id) + `]')`
	}
	if !d.bool(row(mug.ID) + `.querySelector('.move-up').disabled`) {
		t.Fatal("the first product's ↑ is enabled")
	}
	d.click(row(mug.ID) + `.querySelector('.move-down')`)
	d.waitFor(10*time.Second, names+` === 'Beta cap, Alpha mug'`, "the new order in the table")
	var goods struct {
		Products []struct {
			ID string `json:"id"`
		} `json:"products"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+r.ID+"/products", "", nil, &goods)
	if len(goods.Products) != 2 || goods.Products[0].ID != cap.ID || goods.Products[1].ID != mug.ID {
		t.Fatalf("room products after ↓ = %+v, want cap then mug", goods.Products)
	}

	// Upload a picture for the cap from a file.
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cap.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	d.click(row(cap.ID) + `.querySelector('.edit')`)
	d.waitFor(5*time.Second, `!document.getElementById('edit-product').hidden`, "the edit form")
	d.chooseFile(`document.getElementById('e-upload')`, file)
	d.waitFor(15*time.Second, `document.getElementById('e-image').value.startsWith('/media/images/') && document.getElementById('e-image').value.endsWith('.png')`, "the uploaded picture's URL in the image field")
	url := d.text(`document.getElementById('e-image').value`)
	d.clickCSS("#edit-product button[type=submit]")
	d.waitFor(10*time.Second, `document.getElementById('edit-product').hidden`, "the saved product")
	var p struct {
		Images []string `json:"images"`
	}
	n.mustCall(t, "GET", "/api/products/"+cap.ID, "", nil, &p)
	if len(p.Images) != 1 || p.Images[0] != url {
		t.Fatalf("cap images = %v, want [%s]", p.Images, url)
	}
	res, err := http.Get(n.base + url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/png") {
		t.Fatalf("GET %s = %d %s, want 200 image/png", url, res.StatusCode, res.Header.Get("Content-Type"))
	}

	// Refund the paid order from the order list.
	orow := `document.querySelector('#orders tr[data-order=` + jsString(ord.ID) + `]')`
	d.waitFor(10*time.Second, orow+` && `+orow+`.dataset.status.toUpperCase() === 'PAID' && !!`+orow+`.querySelector('.refund')`, "the paid order with a Refund button")
	d.click(orow + `.querySelector('.refund')`)
	d.waitFor(10*time.Second, orow+` && `+orow+`.querySelector('.state').textContent === 'refunded' && !`+orow+`.querySelector('.refund')`, "the refunded order")
	var o struct {
		Status string `json:"status"`
	}
	n.mustCall(t, "GET", "/api/orders/"+ord.ID, admin, nil, &o)
	if o.Status != "REFUNDED" {
		t.Fatalf("order status after Refund = %s, want REFUNDED", o.Status)
	}
	// Ship the other paid order: it reads shipped and offers neither button.
	srow := `document.querySelector('#orders tr[data-order=` + jsString(ord2.ID) + `]')`
	d.waitFor(10*time.Second, srow+` && !!`+srow+`.querySelector('.ship')`, "the second paid order with a Ship button")
	d.click(srow + `.querySelector('.ship')`)
	d.waitFor(10*time.Second, srow+` && `+srow+`.querySelector('.state').textContent === 'shipped' && !`+srow+`.querySelector('.ship') && !`+srow+`.querySelector('.refund')`, "the shipped order")
	n.mustCall(t, "GET", "/api/orders/"+ord2.ID, admin, nil, &o)
	if o.Status != "SHIPPED" {
		t.Fatalf("order status after Ship = %s, want SHIPPED", o.Status)
	}
	d.screenshot("dashboard-goods-orders", true)
}
