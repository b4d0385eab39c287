//go:build browser

package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBuyWalkInChinese is #12's "same walk in zh-CN": a browser whose
// language is Simplified Chinese gets every page in Chinese without being
// asked, prices formatted for the language and the shop's currency (CNY:
// ¥89.00), and buys with real clicks and keys — Escape gives the unit
// back, then Pay; the language switch turns the room into English and
// back.
func TestBuyWalkInChinese(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "春季特卖", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{
		"title": "真丝围巾", "price_minor": 8900, "currency": "CNY", "stock": 5, "per_user_limit": 2, "images": []string{"/assets/img/scarf.svg"},
	}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", r.PushKey, map[string]any{"product_id": prod.ID}, nil)
	browser := newBrowser(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.Env("LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8"))

	v := newPage(t, browser, "viewer-zh", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "li", "李"))
	if l := v.text(`navigator.language`); !strings.HasPrefix(l, "zh") {
		t.Fatalf("the browser's language is %q, want zh-CN", l)
	}
	v.waitFor(15*time.Second, shown(`document.querySelector('.ls-card')`)+` && document.querySelector('.ls-card-price').textContent === '¥89.00' && document.querySelector('.ls-card-stock').textContent === '剩 5 件' && document.querySelector('.ls-buy').textContent === '立即购买'`, "the card in Chinese with ¥89.00")
	for expr, want := range map[string]string{
		`document.documentElement.lang`:                       "zh-CN",
		`document.querySelector('.ls-card-note').textContent`: "每人限购 2 件",
		`document.querySelector('.ls-dm-input').placeholder`:  "说点什么…",
		`document.querySelector('.ls-dm-send').textContent`:   "发送",
		`document.getElementById('who').textContent`:          "已登录",
		`document.querySelector('.lang-switch').value`:        "zh-CN",
	} {
		if got := v.text(expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	// Buy, then Escape: the checkout closes and the unit is back.
	v.clickCSS(".ls-buy")
	v.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`)+` && document.querySelector('.ls-checkout-msg').textContent === '请在下方完成支付。'`, "the checkout in Chinese")
	v.screenshot("viewer-zh-checkout")
	v.key(kb.Escape)
	v.waitFor(5*time.Second, `!`+shown(`document.querySelector('.ls-checkout-box')`), "Escape to close the checkout")
	v.waitFor(5*time.Second, `document.querySelector('.ls-card-stock').textContent === '剩 5 件'`, "the unit back on the card")
	// Buy and pay.
	v.clickCSS(".ls-buy")
	v.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	v.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid' && document.querySelector('.ls-checkout-msg').textContent.startsWith('✓ 支付成功！')`, "the paid order in Chinese")
	var orders struct {
		Orders []struct {
			AmountMinor int64  `json:"amount_minor"`
			Currency    string `json:"currency"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID+"&status=PAID", admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].AmountMinor != 8900 || orders.Orders[0].Currency != "CNY" {
		t.Fatalf("paid orders = %+v, want one of 8900 CNY", orders.Orders)
	}
	v.clickCSS(".ls-checkout-close")
	v.screenshot("viewer-zh")

	// The switch: English, kept for the next page, then back to Chinese.
	v.click(`document.querySelector('.lang-switch')`)
	v.key(kb.ArrowUp)
	v.key(kb.Enter)
	v.waitFor(15*time.Second, `document.documentElement.lang === 'en' && document.querySelector('.ls-buy') && document.querySelector('.ls-buy').textContent === 'Buy now'`, "the room in English after the switch")

	phone := newPage(t, browser, "studio-zh-phone", "about:blank")
	phone.must(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Navigate(n.base+"/studio/"+r.ID))
	phone.waitFor(10*time.Second, `document.getElementById('login-h').textContent === 'Sign in to the studio'`, "the studio in the chosen English")
	phone.click(`document.querySelector('.lang-switch')`)
	phone.key(kb.ArrowDown)
	phone.key(kb.Enter)
	phone.waitFor(15*time.Second, `document.getElementById('login-h').textContent === '登录直播工作台'`, "the studio back in Chinese")
	phone.screenshot("studio-zh-phone")
	dash := newPage(t, browser, "dashboard-zh", n.base+"/dashboard")
	dash.waitFor(10*time.Second, `document.getElementById('login-h').textContent === '运营者登录' && document.querySelector('.room-title').textContent === '运营后台'`, "the dashboard in Chinese")
	dash.screenshot("dashboard-zh")
	home := newPage(t, browser, "index-zh", n.base+"/")
	home.waitFor(10*time.Second, `document.querySelector('h1').textContent === '在自己的服务器上直播带货。'`, "the landing page in Chinese")
	home.screenshot("index-zh")
}
