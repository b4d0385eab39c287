//go:build browser

package web_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/sfu/synth"
)

// TestPresaleBuyThenWatch is #14's browser walk: on a show's public
// presale page a signed-in fan reads the tier (price, what is left, the
// countdown) and buys a ticket with real clicks, paying in the sandbox
// checkout; another viewer without a ticket opening the show's room page
// sees the admission screen (with "Buy a ticket now", sales being open)
// and no video; when the anchor goes live from the studio, the fan's
// presale page shows the way in, and the fan is let in and watches.
func TestPresaleBuyThenWatch(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	starts := time.Now().Add(10 * time.Minute).UTC()
	r := createRoom(t, n, "Launch show", map[string]any{"starts_at": starts.Format(time.RFC3339)})
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/presale", admin, map[string]any{
		"title": "Launch show", "starts_at": starts.Format(time.RFC3339), "currency": "CNY",
		"tiers": []map[string]any{
			{"name": "standard", "title": "Standard", "quantity": 100, "mode": "tiered", "comment": true,
				"steps": []map[string]any{{"quantity": 50, "price_minor": 4900}, {"quantity": 50, "price_minor": 6900}}},
			{"name": "vip", "title": "VIP", "quantity": 10, "mode": "tiered", "comment": true, "highlight": true, "sources": []string{"backstage"},
				"steps": []map[string]any{{"quantity": -1, "price_minor": 19900}}},
		},
	}, nil)
	// A VIP guest, granted by the operator (the guest list).
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presale/entitlements", admin, map[string]any{"user_id": "vip", "tier": "vip"}, nil)

	browser := newBrowser(t)
	fan := newPage(t, browser, "fan", n.base+"/presale/"+r.ID+"#token="+mintUser(t, n, "fan", "Fan"))
	buy := `document.querySelector('.presale-buy[data-tier="standard"]')`
	fan.waitFor(15*time.Second, shown(buy)+` && !`+buy+`.disabled`, "the standard tier with Buy")
	card := `document.querySelector('.presale-tier[data-tier="standard"]')`
	if got := fan.text(card + `.querySelector('.presale-price').textContent`); !strings.Contains(got, "49") {
		t.Fatalf("the tier's price reads %q, want the first step's ¥49", got)
	}
	if got := fan.text(card + `.querySelector('.presale-steps li.current').textContent`); !strings.Contains(got, "First 50") || !strings.Contains(got, "50 left") {
		t.Fatalf("the current price step reads %q", got)
	}
	fan.waitFor(5*time.Second, `/^Starts in 00:(09|10):\d\d$/.test(document.getElementById('show-countdown').textContent)`, "the countdown to the show")
	if u := fan.text(`location.href`); strings.Contains(u, "token") {
		t.Fatalf("the token is still in the address bar: %s", u)
	}
	fan.screenshot("presale-page")

	fan.clickCSS(`.presale-buy[data-tier="standard"]`)
	fan.waitFor(10*time.Second, shown(`document.querySelector('.ls-checkout-frame')`), "the payment page")
	waitUntil(t, 15*time.Second, func() bool {
		_, _, err := fan.frameTarget(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
		return err == nil
	}, "the sandbox's Pay button")
	fan.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	fan.waitFor(20*time.Second, shown(`document.getElementById('bought')`)+` && document.getElementById('bought').textContent.startsWith('You have a Standard ticket')`, "the ticket bought")
	fan.waitFor(10*time.Second, `document.querySelector('.presale-tier[data-tier="standard"] .presale-left').textContent === '99 left'`, "one place fewer on the page")
	fan.screenshot("presale-bought")

	stranger := newPage(t, browser, "stranger", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "stranger", "Stranger"))
	stranger.waitFor(15*time.Second, shown(`document.getElementById('admission')`)+` && `+shown(`document.getElementById('admission-buy')`), "the admission screen with Buy a ticket now")
	if got := stranger.text(`document.querySelector('.ls-admission-title').textContent`); got != "This show is for ticket holders" {
		t.Fatalf("the admission screen says %q", got)
	}
	stranger.screenshot("admission-screen")

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	fan.waitFor(30*time.Second, shown(`document.getElementById('watch')`), "the way in once the show is live")
	fan.clickCSS("#watch")
	fan.waitFor(40*time.Second, viewerState+` === 'live' && document.querySelector('.ls-video').videoWidth > 0 && `+shown(`document.querySelector('.ls-video')`)+
		` && !document.getElementById('admission')`, "the fan let in, watching")
	fan.screenshot("ticket-holder-watching")

	// A VIP's danmaku is highlighted on the fan's screen; the fan's own is not.
	vip := newPage(t, browser, "vip", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "vip", "Vee"))
	vip.waitFor(40*time.Second, viewerState+` === 'live' && `+shown(`document.querySelector('.ls-dm-input')`), "the VIP watching")
	say(vip, "hello from the front row")
	say(fan, "hello from standard")
	vipLine := `[...document.querySelectorAll('.ls-dm-list .dm-item')].find(li => li.querySelector('.dm-text').textContent === 'hello from the front row')`
	fanLine := `[...document.querySelectorAll('.ls-dm-list .dm-item')].find(li => li.querySelector('.dm-text').textContent === 'hello from standard')`
	fan.waitFor(15*time.Second, vipLine+` && `+fanLine, "both comments on the fan's screen")
	if !fan.bool(vipLine + `.classList.contains('dm-vip') && ` + vipLine + `.querySelector('.dm-badge').textContent === 'VIP'`) {
		t.Fatal("the VIP's comment is not highlighted")
	}
	if fan.bool(fanLine + `.classList.contains('dm-vip')`) {
		t.Fatal("a standard ticket's comment is highlighted")
	}
	fan.screenshot("vip-danmaku")

	// The VIP's backstage camera: a second publisher on the room's push key
	// (a synthetic one); the VIP's pass lists it, so the VIP's page offers
	// it and plays it when pressed; the standard ticket's page offers none.
	publishSource(t, n.base+"/whip/"+r.ID+"/sources/backstage", r.PushKey)
	vip.waitFor(10*time.Second, shown(`document.querySelector('.ls-source[data-source="backstage"]')`), "the VIP's backstage camera button")
	if fan.bool(`!!document.querySelector('.ls-sources')`) {
		t.Fatal("a standard ticket's page offers extra cameras")
	}
	vip.clickCSS(`.ls-source[data-source="backstage"]`)
	vip.waitFor(30*time.Second, `window.livesellBackstage.session && window.livesellBackstage.session.pc && window.livesellBackstage.session.pc.getStats().then(r => { let n = 0; r.forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.packetsReceived; }); return n > 50; })`, "the backstage camera's video reaching the VIP")
	if !vip.bool(shown(`document.querySelector('.ls-source-video')`)) {
		t.Fatal("the backstage picture is not on the VIP's screen")
	}
	vip.screenshot("vip-backstage")

	// My tickets lists the fan's paid ticket.
	mine := newPage(t, browser, "mine", n.base+"/tickets#token="+mintUser(t, n, "fan", "Fan"))
	mine.waitFor(15*time.Second, `[...document.querySelectorAll('.ticket-card')].some(c => c.dataset.room === `+jsString(r.ID)+` && c.dataset.tier === 'standard' && c.querySelector('.ticket-status').textContent === 'Paid')`, "the paid ticket in My tickets")
	mine.screenshot("my-tickets")

	// The viewer without a ticket still sees the admission screen, and the
	// server refuses its media outright.
	if stranger.bool(`!!document.querySelector('.ls-video')`) || !stranger.bool(shown(`document.getElementById('admission')`)) {
		t.Fatal("the viewer without a ticket sees the show")
	}
	var pass struct{ Ticketed, Admitted bool }
	n.mustCall(t, "GET", "/api/rooms/"+r.ID+"/pass", mintUser(t, n, "stranger", "Stranger"), nil, &pass)
	if !pass.Ticketed || pass.Admitted {
		t.Fatalf("GET pass for the viewer without a ticket = %+v", pass)
	}
	if st := n.call(t, "POST", "/whep/"+r.ID, mintUser(t, n, "stranger", "Stranger"), nil, nil); st != 403 {
		t.Fatalf("WHEP of the viewer without a ticket = %d, want 403", st)
	}
}

// publishSource publishes a synthetic camera (VP8, one layer) to a room's
// extra source over WHIP with the push key, until the test ends.
func publishSource(t *testing.T, whip, key string) {
	t.Helper()
	api, err := synth.NewAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := synth.NewPublisher(api, synth.PublisherOptions{Gen: 2, FPS: 15, Bitrates: []int{150_000}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	offer, err := p.Offer()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", whip, strings.NewReader(offer))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("WHIP backstage: %d %s", resp.StatusCode, answer)
	}
	if err := p.Start(string(answer)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := synth.WaitConnected(ctx, p.PeerConnection()); err != nil {
		t.Fatalf("backstage publisher not connected: %v", err)
	}
}
