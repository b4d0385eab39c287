//go:build browser

package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestScreenshots writes every page at phone (390×844) and desktop
// (1280×800) size into testdata/screenshots, and checks on each that
// nothing is wider than the screen. The walks (TestEndToEnd, the embed,
// checkout, show, sell and zh-CN tests) add the pages in use.
func TestScreenshots(t *testing.T) {
	n := startNode(t)
	r := createRoom(t, n, "Screens", nil)
	browser := newBrowser(t)
	pages := []struct{ name, path, ready string }{
		{"index", "/", `!!document.querySelector('#room')`},
		{"live-waiting", "/live/" + r.ID, viewerState + ` === 'waiting'`},
		{"studio-login", "/studio/" + r.ID, `!document.getElementById('login').hidden`},
		{"dashboard-login", "/dashboard", `!document.getElementById('login').hidden`},
		{"embed-example", "/embed/example?room=" + r.ID, `!!document.querySelector('livesell-room').shadowRoot.querySelector('.ls-room')`},
	}
	for _, size := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		for _, pg := range pages {
			p := newPage(t, browser, pg.name+"-"+size.name, "about:blank")
			opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
			if size.mobile {
				opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
			}
			p.must(chromedp.EmulateViewport(size.w, size.h, opts...), chromedp.Navigate(n.base+pg.path))
			p.waitFor(15*time.Second, pg.ready, pg.name+" ready")
			if w := p.number(`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)`); w > float64(size.w) {
				t.Errorf("%s at %s is %.0f px wide on a %d px screen", pg.name, size.name, w, size.w)
			}
			p.screenshot(pg.name+"-"+size.name, true)
			p.close()
		}
	}
}
