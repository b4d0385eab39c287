//go:build browser

package web_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// urlLog records every URL a tab requests and every WebSocket it opens.
type urlLog struct {
	mu   sync.Mutex
	urls []string
	ws   int
}

func (l *urlLog) add(u string, ws bool) {
	l.mu.Lock()
	l.urls = append(l.urls, u)
	if ws {
		l.ws++
	}
	l.mu.Unlock()
}

func (l *urlLog) snapshot() ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.urls...), l.ws
}

// newLoggedPage opens url in a tab whose requests are recorded from the first.
func newLoggedPage(t testing.TB, browser context.Context, name, url string) (*page, *urlLog) {
	t.Helper()
	p := newPage(t, browser, name, "about:blank")
	log := &urlLog{}
	p.must(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{})
		return err
	}))
	go func() {
		for ev, err := range chromedp.Events(p.ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			log.add(ev.Request.URL, false)
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(p.ctx, network.WebSocketCreated) {
			if err != nil {
				return
			}
			log.add(ev.URL, true)
		}
	}()
	p.must(chromedp.Navigate(url))
	return p, log
}

// TestNoCredentialInURLs is #11.12 on the pages' side: the viewer's JWT,
// the anchor's push key and the operator's admin token never appear in a
// URL the browser requests (pages, APIs, WHIP/WHEP, WebSockets — the
// credential goes in an Authorization header or the first hello message).
func TestNoCredentialInURLs(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "No secrets in URLs", nil)
	viewerToken := mintUser(t, n, "vera", "Vera")
	browser := newBrowser(t)

	viewer, vlog := newLoggedPage(t, browser, "viewer", n.base+"/live/"+r.ID+"#token="+viewerToken)
	viewer.waitFor(15*time.Second, `window.livesell.viewer.events && window.livesell.viewer.events.transport === 'ws'`, "the viewer's room events over the WebSocket")
	studio, slog := newLoggedPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	studio.waitFor(10*time.Second, `window.livesell.state.events && (window.livesell.state.events.transport === 'ws' || window.livesell.state.events.transport === 'dc')`, "the studio's room events")
	viewer.waitFor(20*time.Second, viewerState+` === 'live'`, "playback")
	dash, dlog := newLoggedPage(t, browser, "dashboard", n.base+"/dashboard")
	dash.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login")
	dash.fill(`document.getElementById('login-token')`, admin+"\r")
	dash.waitFor(10*time.Second, `!!document.querySelector('#rooms tr[data-room]')`, "the rooms")
	dash.click(`document.querySelector('#rooms tr[data-room] button')`)
	dash.waitFor(10*time.Second, `document.querySelectorAll('#keys .key').length >= 1`, "the room's keys")

	for _, c := range []struct {
		name, secret string
		log          *urlLog
		wantWS       bool
	}{{"viewer", viewerToken, vlog, true}, {"studio", r.PushKey, slog, true}, {"studio (admin)", admin, slog, false}, {"dashboard", admin, dlog, false}} {
		urls, ws := c.log.snapshot()
		if len(urls) < 5 {
			t.Fatalf("%s: only %d requests recorded", c.name, len(urls))
		}
		if c.wantWS && ws == 0 {
			t.Errorf("%s: opened no WebSocket (the hello path was not exercised)", c.name)
		}
		for _, u := range urls {
			if strings.Contains(u, c.secret) {
				t.Errorf("%s: a credential is in the URL %s", c.name, u)
			}
		}
	}
}
