//go:build browser

package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// emulateMedia sets CSS media features of a tab (prefers-color-scheme,
// prefers-reduced-motion), as a person's system settings would.
func emulateMedia(p *page, features ...string) {
	p.t.Helper()
	var fs []*emulation.MediaFeature
	for i := 0; i+1 < len(features); i += 2 {
		fs = append(fs, &emulation.MediaFeature{Name: features[i], Value: features[i+1]})
	}
	p.must(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: fs})
		return err
	}))
}

// TestThemesAndMotion: every page follows the system's light or dark
// theme, and with reduced motion comments do not fly over the video and
// nothing animates for longer than a blink.
func TestThemesAndMotion(t *testing.T) {
	n := startNode(t)
	r := createRoom(t, n, "Themes", map[string]any{"anonymous_chat": true})
	browser := newBrowser(t)
	bg := `getComputedStyle(document.body).backgroundColor`
	for _, path := range []string{"/", "/dashboard", "/studio/" + r.ID, "/live/" + r.ID} {
		p := newPage(t, browser, "theme"+path, "about:blank")
		emulateMedia(p, "prefers-color-scheme", "dark")
		p.must(chromedp.Navigate(n.base + path))
		p.waitFor(10*time.Second, `document.readyState === 'complete'`, "the page")
		dark := p.text(bg)
		emulateMedia(p, "prefers-color-scheme", "light")
		p.waitFor(5*time.Second, bg+` !== `+jsString(dark), "the light theme")
		light := p.text(bg)
		if dark != "rgb(15, 17, 21)" || light != "rgb(244, 245, 247)" {
			t.Errorf("%s: dark background %s, light %s", path, dark, light)
		}
		if path == "/" {
			p.screenshot("index-light")
		}
		p.close()
	}

	// Reduced motion on the viewer: a comment lands in the list and does not fly.
	v := newPage(t, browser, "reduced-motion", "about:blank")
	emulateMedia(v, "prefers-reduced-motion", "reduce")
	v.must(chromedp.Navigate(n.base + "/live/" + r.ID))
	v.waitFor(15*time.Second, `window.livesell.viewer.events && window.livesell.viewer.events.transport === 'ws'`, "room events")
	v.typeText(`document.querySelector('.ls-dm-input')`, "calm please\r")
	v.waitFor(10*time.Second, listHas("calm please"), "the comment in the list")
	if n := v.number(`document.querySelectorAll('.dm-fly').length`); n != 0 {
		t.Fatalf("%v comments fly with reduced motion", n)
	}
	if d := v.text(`getComputedStyle(document.querySelector('.ls-card')).animationDuration`); d != "0.001s" {
		t.Fatalf("the card's animation lasts %s with reduced motion, want 0.001s", d)
	}
}
