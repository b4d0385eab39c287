//go:build browser

package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardDeleteProduct: the operator deletes a product with a real
// click on Delete and another on the page's own confirmation dialog, and it
// leaves the table and the API; Keep it deletes nothing; deleting the
// product a room presents is refused with a sentence naming it; a zh-CN
// browser gets the same controls in Chinese.
func TestDashboardDeleteProduct(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Delete room", nil)
	var shown, spare struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Shown lamp", "price_minor": 1200, "currency": "USD", "stock": 4}, &shown)
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Spare cup", "price_minor": 800, "currency": "USD", "stock": 4}, &spare)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{shown.ID, spare.ID}}, nil)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", admin, map[string]any{"product_id": shown.ID}, nil)

	open := func(p *page, rows int) {
		p.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login form")
		p.typeText(`document.getElementById('login-token')`, admin+"\r")
		p.waitFor(10*time.Second, `!document.getElementById('dash').hidden && !!document.querySelector('#rooms tr[data-room=`+jsString(r.ID)+`]')`, "the dashboard with the room")
		p.click(`document.querySelector('#rooms tr[data-room=` + jsString(r.ID) + `] button')`)
		p.waitFor(10*time.Second, fmt.Sprintf(`document.querySelectorAll('#products tr[data-product]').length === %d`, rows), "the room's products")
	}
	row := func(id string) string {
		return `document.querySelector('#products tr[data-product=` + jsString(id) + `]')`
	}
	names := `[...document.querySelectorAll('#products tr[data-product] td:first-child')].map(e => e.textContent).join(', ')`
	dialogOpen := `document.getElementById('delete-confirm').open`

	browser := newBrowser(t)
	d := newPage(t, browser, "dashboard-delete", n.base+"/dashboard")
	open(d, 2)

	// Keep it: the dialog closes and nothing is deleted.
	d.click(row(spare.ID) + `.querySelector('.delete')`)
	d.waitFor(5*time.Second, dialogOpen+` && document.getElementById('delete-confirm-h').textContent.includes('Spare cup')`, "the confirmation naming the product")
	d.click(`document.getElementById('delete-keep')`)
	d.waitFor(5*time.Second, `!`+dialogOpen, "the dialog closed by Keep it")
	if st := n.call(t, "GET", "/api/products/"+spare.ID, "", nil, nil); st != 200 {
		t.Fatalf("Keep it deleted the product: GET = %d", st)
	}

	// Delete after confirming: gone from the table and the API.
	d.click(row(spare.ID) + `.querySelector('.delete')`)
	d.waitFor(5*time.Second, dialogOpen, "the confirmation")
	d.click(`document.getElementById('delete-yes')`)
	d.waitFor(10*time.Second, names+` === 'Shown lamp'`, "the table without the deleted product")
	if st := n.call(t, "GET", "/api/products/"+spare.ID, "", nil, nil); st != 404 {
		t.Fatalf("deleted product: GET = %d, want 404", st)
	}

	// The presented product is refused with a sentence, and stays.
	d.click(row(shown.ID) + `.querySelector('.delete')`)
	d.waitFor(5*time.Second, dialogOpen, "the confirmation")
	d.click(`document.getElementById('delete-yes')`)
	want := "“Shown lamp” is being presented in a live room, so it cannot be deleted. Stop presenting it first."
	d.waitFor(10*time.Second, `document.getElementById('dash-error').textContent === `+jsString(want), "the refusal as a sentence")
	if st := n.call(t, "GET", "/api/products/"+shown.ID, "", nil, nil); st != 200 {
		t.Fatalf("refused product: GET = %d, want 200", st)
	}
	d.screenshot("dashboard-delete-refused", true)

	// The same dashboard in Chinese.
	zh := newPage(t, newBrowser(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.Env("LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8")), "dashboard-zh", n.base+"/dashboard")
	open(zh, 1)
	for expr, want := range map[string]string{
		`document.querySelector('[data-i18n="dash.products"]').textContent`: "商品与库存",
		row(shown.ID) + `.querySelector('.delete').textContent`:             "删除",
	} {
		if got := zh.text(expr); got != want {
			t.Fatalf("zh-CN %s = %q, want %q", expr, got, want)
		}
	}
	zh.click(row(shown.ID) + `.querySelector('.delete')`)
	zh.waitFor(5*time.Second, dialogOpen+` && document.getElementById('delete-yes').textContent === '删除' && document.getElementById('delete-keep').textContent === '保留'`, "the confirmation in Chinese")
	zh.click(`document.getElementById('delete-yes')`)
	zh.waitFor(10*time.Second, `document.getElementById('dash-error').textContent === '“Shown lamp”正在直播间讲解，不能删除。请先停止讲解。'`, "the refusal in Chinese")
}
