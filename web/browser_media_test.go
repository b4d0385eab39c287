//go:build browser

package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// roomWithKey creates a room through the operator API.
type createdRoom struct {
	ID      string `json:"id"`
	PushKey string `json:"push_key"`
	WHIPURL string `json:"whip_url"`
	WHEPURL string `json:"whep_url"`
}

func createRoom(t testing.TB, n *node, title string, extra map[string]any) createdRoom {
	t.Helper()
	body := map[string]any{"title": title}
	for k, v := range extra {
		body[k] = v
	}
	var r createdRoom
	n.mustCall(t, "POST", "/api/rooms", n.srv.AdminToken(), body, &r)
	if r.ID == "" || r.PushKey == "" {
		t.Fatalf("POST /api/rooms answered %+v: no id or push_key", r)
	}
	return r
}

// goLive signs the studio in with the push key and goes live, with the
// keyboard only: type the key and Enter, then Enter on "Go live".
func goLive(t testing.TB, studio *page, pushKey string) {
	t.Helper()
	studio.waitFor(10*time.Second, `!document.getElementById('login').hidden && document.activeElement === document.getElementById('login-key')`, "the studio login with the key field focused")
	studio.typeText(`document.getElementById('login-key')`, pushKey+"\r")
	studio.waitFor(10*time.Second, `document.getElementById('preview').videoWidth > 0`, "the camera preview")
	studio.must(chromedp.Focus(chromedp.ID("go-live")), chromedp.KeyEvent("\r"))
	studio.waitFor(15*time.Second, `document.body.dataset.live === 'true'`, "the studio to be live")
	// Focus moves to "Pause", so the next Enter pauses.
	studio.waitFor(5*time.Second, `document.activeElement === document.getElementById('pause-live')`, "focus on Pause")
}

// framesDecodedJS reads the viewer's decoded frame count: 0 until the page's module has run (it awaits the
// room's pass before it builds the viewer).
const framesDecodedJS = `(window.livesell && window.livesell.viewer) ? window.livesell.viewer.stats().then(s => s ? s.framesDecoded : 0) : 0`

// waitFramesGrow waits until the page's decoded frames grow by at least 10
// within timeout, and returns the count reached.
func waitFramesGrow(t testing.TB, p *page, expr string, timeout time.Duration) float64 {
	t.Helper()
	first := p.number(expr)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if n := p.number(expr); n >= first+10 {
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.fail("framesDecoded did not grow within %s (stayed at %.0f → %.0f)", timeout, first, p.number(expr))
	return 0
}

// The anchor goes live from the studio with the fake camera over WHIP with
// three simulcast layers, and a viewer plays it over WHEP.
func TestPublishAndPlay(t *testing.T) {
	n := startNode(t)
	r := createRoom(t, n, "publish and play", nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)

	viewer := newPage(t, browser, "viewer", n.base+"/live/"+r.ID)
	viewer.waitFor(15*time.Second, `document.querySelector('.ls-room').dataset.state === 'live'`, "the viewer to be live")
	waitFramesGrow(t, viewer, framesDecodedJS, 5*time.Second)
	viewer.waitFor(5*time.Second, `document.querySelector('.ls-video').videoWidth > 0`, "the video to have a size")

	// The studio reports its own health from getStats.
	studio.waitFor(10*time.Second, `document.getElementById('h-bitrate').textContent.endsWith('kbps') && document.getElementById('h-fps').textContent !== '–'`, "studio health")
	layers := studio.number(`window.livesell.state.session.pc.getSenders().find(s => s.track && s.track.kind === 'video').getParameters().encodings.map(e => e.rid).join('').length`)
	if layers != 3 {
		t.Fatalf("the studio sends %v encodings, want 3 (q, h, f)", layers)
	}
	// The viewer count reaches the studio.
	studio.waitFor(10*time.Second, `Number(document.getElementById('s-viewers').textContent) >= 1`, "the viewer count in the studio")

	// Ending the live closes the WHIP session (DELETE) and the viewer stops decoding.
	studio.clickCSS("#pause-live")
	studio.waitFor(5*time.Second, `document.body.dataset.live === 'false'`, "the studio to stop")
	viewer.waitFor(15*time.Second, `document.querySelector('.ls-room').dataset.state !== 'live'`, fmt.Sprintf("the viewer to notice the end (room %s)", r.ID))
}
