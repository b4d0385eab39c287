//go:build browser

package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestReportPage is #16's after-show report in the dashboard, in a browser
// whose language is Chinese: the anchor goes live, a viewer arrives from a
// share link (?ref=) and watches while the anchor presents a product, the
// anchor ends the show; the report page draws the online curve and the
// per-minute charts as SVG, lists the product's explanation window and the
// share link as a source, all in Chinese; the language switch turns it
// into English.
func TestReportPage(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Report", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "龙井茶", "price_minor": 6800, "currency": "CNY", "stock": 10}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	browser := newBrowser(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.Env("LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8"))

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	viewer := newPage(t, browser, "viewer", n.base+"/live/"+r.ID+"?ref=share-wx")
	waitFramesGrow(t, viewer, framesDecodedJS, 20*time.Second)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", admin, map[string]any{"product_id": prod.ID}, nil)
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-card-title') && document.querySelector('.ls-card-title').textContent === '龙井茶'`, "the card")
	time.Sleep(2 * time.Second)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/end", admin, nil, nil)

	d := newPage(t, browser, "report", n.base+"/dashboard")
	d.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login form")
	d.typeText(`document.getElementById('login-token')`, admin+"\r")
	d.waitFor(10*time.Second, `!document.getElementById('dash').hidden`, "the dashboard")
	deadline := time.Now().Add(30 * time.Second)
	for {
		d.must(chromedp.Navigate(n.base + "/dashboard/report?room=" + r.ID))
		if d.bool(`new Promise(ok => setTimeout(() => ok(document.getElementById('report').dataset.final === 'true'), 1500))`) {
			break
		}
		if time.Now().After(deadline) {
			d.fail("the report never became final")
		}
	}
	d.waitFor(10*time.Second, `document.querySelector('.room-title').textContent === '直播复盘' && document.querySelector('.report-badge').textContent === '已结束'`, "the Chinese title and badge")
	d.waitFor(5*time.Second, `document.querySelectorAll('#report svg').length >= 5 && document.querySelector('#report svg path') && document.querySelector('#report svg path').getAttribute('d').split('L').length >= 2`, "the charts drawn as SVG")
	d.waitFor(5*time.Second, `document.querySelector('.report-table tbody tr td').textContent === '龙井茶' && document.querySelector('.report-table th').textContent === '商品'`, "the product's window in the table")
	d.waitFor(5*time.Second, `document.querySelector('#report svg[aria-label*="share-wx"]') !== null`, "the share link among the sources")
	d.waitFor(5*time.Second, `[...document.querySelectorAll('.report-stat-label')].some(e => e.textContent === '客单价')`, "客单价")
	d.screenshot("report-zh")
	d.click(`document.querySelector('.lang-switch')`)
	d.key(kb.ArrowUp)
	d.key(kb.Enter)
	d.waitFor(10*time.Second, `document.querySelector('.room-title').textContent === 'After-show report' && [...document.querySelectorAll('.report-stat-label')].some(e => e.textContent === 'Average order value')`, "the report in English")
	d.screenshot("report-en")
}
