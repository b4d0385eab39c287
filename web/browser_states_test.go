//go:build browser

package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The viewer's states: before the live (WHEP 409 not_live → waits per
// Retry-After and starts on its own), a session the server drops
// (reconnects on its own), and the end of the live.
func TestViewerStates(t *testing.T) {
	n := startNode(t)
	r := createRoom(t, n, "states", nil)
	browser := newBrowser(t)

	viewer := newPage(t, browser, "viewer", n.base+"/live/"+r.ID)
	viewer.waitFor(10*time.Second, viewerState+` === 'waiting' && document.querySelector('.ls-status').textContent.includes('not started')`, "the not-live-yet state")

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	viewer.waitFor(20*time.Second, viewerState+` === 'live'`, "the viewer to start by itself")
	waitFramesGrow(t, viewer, framesDecodedJS, 20*time.Second)

	// The session disappears under the viewer (as when a node drops it):
	// the page reconnects with a new WHEP session and plays again.
	old := viewer.text(`window.livesell.viewer.session.resource`)
	viewer.must(chromedp.Evaluate[chromedp.Void](`fetch(window.livesell.viewer.session.resource, {method: 'DELETE'})`))
	viewer.waitFor(20*time.Second, `window.livesell.viewer.session.resource !== '' && window.livesell.viewer.session.resource !== `+jsString(old), "a new WHEP session")
	viewer.waitFor(20*time.Second, viewerState+` === 'live'`, "playback after the reconnect")
	waitFramesGrow(t, viewer, framesDecodedJS, 20*time.Second)

	// The operator ends the live: the viewer says so and stops retrying.
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/end", n.srv.AdminToken(), map[string]any{}, nil)
	viewer.waitFor(15*time.Second, viewerState+` === 'ended' && `+shown(`document.querySelector('.ls-closing')`)+` && document.querySelector('.ls-closing-title').textContent.includes('ended')`, "the closing screen")
	viewer.screenshot("viewer-ended")
	if st := viewer.text(`window.livesell.viewer.session.state`); st != "closed" {
		t.Fatalf("the session is %q after the end, want closed", st)
	}
}
