//go:build browser

package web_test

import (
	"testing"
	"time"
)

// The studio signs in, opens the fake camera and lists the devices; the
// landing page opens a room.
func TestPagesInChromium(t *testing.T) {
	n := startNode(t)
	r := createRoom(t, n, "pages", nil)
	browser := newBrowser(t)

	t.Run("studio preview", func(t *testing.T) {
		p := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
		p.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login form")
		p.typeText(`document.getElementById('login-key')`, r.PushKey)
		p.clickCSS("#login-form button[type=submit]")
		p.waitFor(10*time.Second, `document.getElementById('preview').videoWidth > 0`, "the camera preview")
		p.waitFor(5*time.Second, `document.querySelectorAll('#camera option').length > 0 && document.querySelectorAll('#mic option').length > 0`, "device lists")
		if got := p.text(`sessionStorage.getItem('livesell.studio.` + r.ID + `')`); got != r.PushKey {
			t.Fatalf("sessionStorage key = %q", got)
		}
	})

	t.Run("landing opens a room", func(t *testing.T) {
		p := newPage(t, browser, "landing", n.base+"/")
		p.typeText(`document.getElementById('room')`, "room2")
		p.clickCSS(`button[value="live"]`)
		p.waitFor(10*time.Second, `location.pathname === '/live/room2'`, "navigation to the viewer page")
		p.waitFor(10*time.Second, `document.querySelector('.ls-room') !== null`, "the viewer room")
	})

}
