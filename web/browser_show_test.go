//go:build browser

package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// countConnections is run in a page before its own scripts: it counts the
// WebSockets it opens and the WHIP/WHEP offers it posts.
const countConnections = `(() => {
  window.__conn = {ws: 0, offers: 0};
  const WS = window.WebSocket;
  window.WebSocket = function (...a) { window.__conn.ws++; return new WS(...a); };
  window.WebSocket.prototype = WS.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  const f = window.fetch;
  window.fetch = function (input, init) {
    const url = String(input && input.url || input);
    if (init && init.method === 'POST' && /\/(whep|whip)\//.test(url)) window.__conn.offers++;
    return f.apply(this, arguments);
  };
})();`

// newCountingPage opens url in a tab that counts its connection attempts.
func newCountingPage(t testing.TB, browser context.Context, name, url string) *page {
	t.Helper()
	p := newPage(t, browser, name, "about:blank")
	p.must(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: countConnections})
		return err
	}), chromedp.Navigate(url))
	return p
}

// noAttemptsFor asserts that none of the pages opens a WebSocket or posts
// an offer during d (each has settled on a final screen).
func noAttemptsFor(t testing.TB, d time.Duration, pages ...*page) {
	t.Helper()
	before := make([]string, len(pages))
	for i, p := range pages {
		before[i] = p.text(`JSON.stringify(window.__conn)`)
	}
	time.Sleep(d) // an observation window: nothing may happen in it
	for i, p := range pages {
		if after := p.text(`JSON.stringify(window.__conn)`); after != before[i] {
			t.Fatalf("%s: connection attempts went from %s to %s on a room that has ended", p.name, before[i], after)
		}
	}
}

// TestShowLifecycle is #12's show with a beginning and an end, with real
// clicks: the anchor pauses (viewers see "right back", the anchor sees
// Paused) and goes live again; ending asks first, and "Keep going" keeps
// the show; ending for real shows viewers the closing screen and the
// studio "Show ended", and nothing reconnects; a viewer who opens the link
// afterwards gets the closing screen with no connection attempt at all,
// and so does the studio.
func TestShowLifecycle(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Lifecycle show", nil)
	var prod struct {
		ID string `json:"id"`
	}
	n.mustCall(t, "POST", "/api/products", admin, map[string]any{"title": "Blue mug", "price_minor": 1200, "currency": "USD", "stock": 3}, &prod)
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": []string{prod.ID}}, nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, admin)
	viewer := newCountingPage(t, browser, "viewer", n.base+"/live/"+r.ID)
	viewer.waitFor(20*time.Second, viewerState+` === 'live'`, "playback")
	badge := `document.querySelector('.ls-live-badge').textContent`

	// Pause: "right back" for viewers, "Paused" for the anchor.
	studio.clickCSS("#pause-live")
	studio.waitFor(5*time.Second, `document.getElementById('live-badge').textContent.startsWith('Paused')`, "Paused in the studio")
	viewer.waitFor(15*time.Second, viewerState+` === 'paused' && `+shown(`document.querySelector('.ls-status')`)+` && document.querySelector('.ls-status').textContent === 'The anchor will be right back…' && `+badge+` === 'BACK SOON'`, "right back on the viewer")
	viewer.screenshot("viewer-paused")
	studio.clickCSS("#go-live")
	studio.waitFor(15*time.Second, `document.body.dataset.live === 'true'`, "live again")
	viewer.waitFor(20*time.Second, viewerState+` === 'live' && `+badge+` === 'LIVE'`, "the viewer live again")

	// Ending asks first; "Keep going" keeps the show.
	studio.clickCSS("#end-show")
	studio.waitFor(5*time.Second, `document.getElementById('end-confirm').open`, "the confirmation")
	studio.screenshot("studio-end-confirm")
	studio.clickCSS("#end-keep")
	studio.waitFor(5*time.Second, `!document.getElementById('end-confirm').open`, "the confirmation to close")
	var room struct {
		State string `json:"state"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+r.ID, "", nil, &room)
	if room.State == "ended" || studio.text(`document.body.dataset.live`) != "true" {
		t.Fatalf("Keep going ended the show (room %s, studio live=%s)", room.State, studio.text(`document.body.dataset.live`))
	}

	// End for real.
	studio.clickCSS("#end-show")
	studio.waitFor(5*time.Second, `document.getElementById('end-confirm').open`, "the confirmation")
	studio.clickCSS("#end-yes")
	studio.waitFor(10*time.Second, `document.getElementById('live-badge').textContent === 'Show ended' && document.getElementById('go-live').disabled`, "Show ended in the studio")
	n.mustCall(t, "GET", "/api/rooms/"+r.ID, "", nil, &room)
	if room.State != "ended" {
		t.Fatalf("room state %q after ending, want ended", room.State)
	}
	closing := viewerState + ` === 'ended' && ` + shown(`document.querySelector('.ls-closing')`) + ` && document.querySelector('.ls-closing-title').textContent === 'This live has ended' && !` + shown(`document.querySelector('.ls-buy')`)
	viewer.waitFor(15*time.Second, closing, "the closing screen on the viewer")
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-closing-goods').textContent.includes('Blue mug')`, "the show's goods on the closing screen")
	studio.screenshot("studio-ended")

	// A viewer who opens the link afterwards, and the original viewer and
	// studio: the closing screen, and not one connection attempt.
	late := newCountingPage(t, browser, "late-viewer", n.base+"/live/"+r.ID)
	late.waitFor(10*time.Second, closing, "the closing screen for a late viewer")
	late.screenshot("viewer-closing")
	phone := newCountingPage(t, browser, "late-phone", "about:blank")
	phone.must(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Navigate(n.base+"/live/"+r.ID))
	phone.waitFor(10*time.Second, closing, "the closing screen on a phone")
	phone.screenshot("viewer-closing-phone")
	if c := late.text(`JSON.stringify(window.__conn)`); c != `{"ws":0,"offers":0}` {
		t.Fatalf("the late viewer attempted connections: %s", c)
	}
	studio2 := newCountingPage(t, browser, "studio-again", n.base+"/studio/"+r.ID)
	studio2.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the studio login")
	studio2.typeText(`document.getElementById('login-key')`, admin+"\r")
	studio2.waitFor(10*time.Second, `document.getElementById('live-badge').textContent === 'Show ended' && document.getElementById('go-live').disabled`, "Show ended on a new studio")
	noAttemptsFor(t, 8*time.Second, late, viewer, studio2, phone)
	if c := studio2.text(`JSON.stringify(window.__conn)`); c != `{"ws":0,"offers":0}` {
		t.Fatalf("the studio of an ended show attempted connections: %s", c)
	}
}
