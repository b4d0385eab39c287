//go:build browser

package web_test

import (
	"testing"
	"time"
)

// TestDrawByKeyword is #15's draw by keyword with two viewers, with real
// clicks and keys: the anchor starts a draw from the studio ("comment
// want"); both viewers see it and comment the keyword; the studio counts
// two entries; the anchor draws; exactly one viewer sees "You won!" and
// claims the prize (points in the wallet), the other sees that it was not
// this time, and the studio shows the winner and the revealed seed.
func TestDrawByKeyword(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Lucky bag night", nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	studio.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the studio login")
	studio.typeText(`document.getElementById('login-key')`, admin+"\r")
	studio.waitFor(15*time.Second, `!!document.getElementById('draw-form')`, "the studio's draw form")

	viewers := map[string]*page{
		"vic": newPage(t, browser, "vic", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "vic", "Vic")),
		"wen": newPage(t, browser, "wen", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "wen", "Wen")),
	}
	for name, v := range viewers {
		v.waitFor(15*time.Second, `!!(window.livesell && window.livesell.viewer.events && window.livesell.viewer.games)`, name+"'s room events")
	}

	studio.fill(`document.getElementById('draw-title')`, "Lucky bag")
	studio.fill(`document.getElementById('draw-keyword')`, "want")
	studio.fill(`document.getElementById('draw-winners')`, "1")
	studio.fill(`document.getElementById('draw-points')`, "50")
	studio.fill(`document.getElementById('draw-duration')`, "300")
	studio.clickCSS(`#draw-start`)
	studio.waitFor(10*time.Second, `document.getElementById('draw-status').textContent.startsWith('Open')`, "the draw open in the studio")

	box := `document.querySelector('.ls-draw')`
	for name, v := range viewers {
		v.waitFor(10*time.Second, shown(box)+` && document.querySelector('.ls-draw-how').textContent === 'Comment “want” to enter' && /^Draw in \d+ s$/.test(document.querySelector('.ls-draw-left').textContent)`, name+" seeing the draw")
	}
	viewers["vic"].screenshot("draw-open")
	for _, v := range viewers {
		v.click(`document.querySelector('.ls-dm-input')`)
		v.typeText(`document.querySelector('.ls-dm-input')`, "I want it!\r")
	}
	studio.waitFor(15*time.Second, `document.getElementById('draw-entries').textContent === '2'`, "two entries in the studio")
	studio.clickCSS(`#draw-close`)
	studio.waitFor(10*time.Second, `document.getElementById('draw-status').textContent === '1 winner(s) from 2 entries' && document.getElementById('draw-seed').textContent.length === 64`, "the winner and the seed in the studio")
	studio.screenshot("draw-studio-result")

	result := func(v *page) string { return v.text(`document.querySelector('.ls-draw').dataset.result || ''`) }
	for name, v := range viewers {
		v.waitFor(10*time.Second, `['won','lost'].includes(document.querySelector('.ls-draw').dataset.result)`, name+" seeing the result")
	}
	var winner, loser string
	for name, v := range viewers {
		switch result(v) {
		case "won":
			winner = name
		case "lost":
			loser = name
		}
	}
	if winner == "" || loser == "" {
		t.Fatalf("results: vic %q, wen %q; want one won and one lost", result(viewers["vic"]), result(viewers["wen"]))
	}
	w := viewers[winner]
	if got := w.text(`document.querySelector('.ls-draw-won').textContent`); got != "You won! 50 points" {
		t.Fatalf("the winner sees %q", got)
	}
	if got := viewers[loser].text(`document.querySelector('.ls-draw-lost').textContent`); got != "Not this time — thanks for taking part" {
		t.Fatalf("the other viewer sees %q", got)
	}
	w.screenshot("draw-won")
	w.clickCSS(`.ls-draw-claim`)
	w.waitFor(10*time.Second, `document.querySelector('.ls-draw-claim').textContent === 'Claimed ✓'`, "the claimed prize")
	var wallet struct {
		Balances map[string]int64 `json:"balances"`
	}
	n.mustCall(t, "GET", "/api/me/wallet", mintUser(t, n, winner, winner), nil, &wallet)
	if wallet.Balances["points"] != 50 {
		t.Fatalf("the winner's wallet %v, want 50 points", wallet.Balances)
	}
	wallet.Balances = nil
	n.mustCall(t, "GET", "/api/me/wallet", mintUser(t, n, loser, loser), nil, &wallet)
	if wallet.Balances["points"] != 0 {
		t.Fatalf("the other viewer got points: %v", wallet.Balances)
	}
}

// TestGiftPaidInTheRoom: a viewer with an empty wallet presses a gift in
// the gift bar; the room's checkout pays it through the sandbox provider;
// the other viewer sees "Vic sent Rocket ×1" and the studio's gift income
// shows the amount, recorded once.
func TestGiftPaidInTheRoom(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Gift night", nil)
	n.mustCall(t, "PUT", "/api/gifts/rocket", admin, map[string]any{"name": "Rocket", "price_minor": 5000, "currency": "CNY", "tier": 4}, nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	studio.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the studio login")
	studio.typeText(`document.getElementById('login-key')`, admin+"\r")
	studio.waitFor(15*time.Second, `!!document.getElementById('gift-income')`, "the studio's gift panel")

	vic := newPage(t, browser, "vic", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "vic", "Vic"))
	wen := newPage(t, browser, "wen", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "wen", "Wen"))
	wen.waitFor(15*time.Second, `!!(window.livesell && window.livesell.viewer.events && window.livesell.viewer.games)`, "wen's room events")
	vic.waitFor(15*time.Second, `!!document.querySelector('.ls-gift-send[data-gift=rocket]')`, "the gift bar")
	vic.clickCSS(`.ls-gift-send[data-gift=rocket]`)
	vic.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	vic.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "the paid gift")
	wen.waitFor(10*time.Second, `[...document.querySelectorAll('.ls-gift-line')].some((e) => e.textContent === 'Vic sent Rocket ×1' && e.classList.contains('ls-gift-large'))`, "the gift shown to the room")
	wen.screenshot("gift-shown")
	studio.waitFor(10*time.Second, `document.getElementById('gift-income').textContent.includes('50.00') && document.querySelector('#gift-board li').textContent.startsWith('Vic')`, "the gift income and leaderboard in the studio")
	var income struct {
		Gifts  []map[string]any `json:"gifts"`
		Totals map[string]int64 `json:"totals"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+r.ID+"/gifts/income", admin, nil, &income)
	if len(income.Gifts) != 1 || income.Totals["CNY"] != 5000 {
		t.Fatalf("income %+v, want one gift of 5000", income)
	}
}

// TestRedPacketGrabbed: the anchor launches a red packet of two from the
// studio; two viewers grab one each and see what they got, which sums to
// the total and is in their wallets; the studio shows the packet.
func TestRedPacketGrabbed(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Red packet night", nil)
	browser := newBrowser(t)
	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	studio.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the studio login")
	studio.typeText(`document.getElementById('login-key')`, admin+"\r")
	studio.waitFor(15*time.Second, `!!document.getElementById('rp-form')`, "the studio's red-packet form")
	viewers := []*page{
		newPage(t, browser, "vic", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "vic", "Vic")),
		newPage(t, browser, "wen", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "wen", "Wen")),
	}
	for _, v := range viewers {
		v.waitFor(15*time.Second, `!!(window.livesell && window.livesell.viewer.events && window.livesell.viewer.games)`, "room events")
	}
	studio.fill(`document.getElementById('rp-total')`, "8.88")
	studio.fill(`document.getElementById('rp-count')`, "2")
	studio.clickCSS(`#rp-start`)
	studio.waitFor(10*time.Second, `document.getElementById('rp-status').textContent === '1 launched'`, "the packet launched")
	var sum int64
	for i, v := range viewers {
		v.waitFor(10*time.Second, shown(`document.querySelector('.ls-rp-grab')`), "the Grab button")
		v.clickCSS(`.ls-rp-grab`)
		v.waitFor(10*time.Second, `document.querySelector('.ls-redpacket').dataset.result === 'got' && /^You got ¥\d+\.\d\d!$/.test(document.querySelector('.ls-rp-msg').textContent)`, "the amount grabbed")
		if i == 0 {
			v.screenshot("redpacket-got")
		}
		var w struct {
			Balances map[string]int64 `json:"balances"`
		}
		n.mustCall(t, "GET", "/api/me/wallet", mintUser(t, n, []string{"vic", "wen"}[i], ""), nil, &w)
		if w.Balances["CNY"] < 1 {
			t.Fatalf("wallet %v after a grab", w.Balances)
		}
		sum += w.Balances["CNY"]
	}
	if sum != 888 {
		t.Fatalf("the two grabs sum to %d, want 888", sum)
	}
	studio.waitFor(10*time.Second, `document.querySelector('#rp-list li') && document.querySelector('#rp-list li').textContent.includes('in 2')`, "the packet in the studio")
}
