//go:build browser

package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The server ending a viewer's WHEP session (as a draining node does, in
// batches) makes the viewer page reconnect at once — on the server's DTLS
// close, before ICE consent fails — by re-POSTing the WHEP URL it started
// from, and the video plays again.
func TestViewerReconnectsWhenTheServerEndsItsSession(t *testing.T) {
	n := startNode(t)
	r := createRoom(t, n, "server ends the session", nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	viewer := newPage(t, browser, "viewer", n.base+"/live/"+r.ID)
	viewer.waitFor(15*time.Second, `document.querySelector('.ls-room').dataset.state === 'live'`, "the viewer to be live")
	waitFramesGrow(t, viewer, framesDecodedJS, 5*time.Second)

	// Remember the session and every state its PeerConnection goes through.
	old := viewer.text(`(() => {
		const s = window.livesell.viewer.session, pc = s.pc;
		window.__oldStates = [];
		pc.addEventListener('connectionstatechange', () => window.__oldStates.push(pc.connectionState));
		window.__oldResource = s.resource;
		return s.resource;
	})()`)
	if !strings.Contains(old, "/whep/"+r.ID+"/") {
		t.Fatalf("viewer session resource %q", old)
	}
	// The server ends it (an anonymous viewer's session URL is its
	// capability; the page is not told).
	req, _ := http.NewRequest(http.MethodDelete, old, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE %s = %d", old, resp.StatusCode)
	}
	viewer.waitFor(15*time.Second, `(() => { const s = window.livesell.viewer.session;
		return s.state === 'connected' && s.resource && s.resource !== window.__oldResource; })()`, "the page to open a new WHEP session")
	if states := viewer.text(`window.__oldStates.join(',')`); strings.Contains(states, "disconnected") || strings.Contains(states, "failed") {
		t.Fatalf("the old session went %q before the page reconnected: it waited for ICE to fail instead of the server's close", states)
	}
	waitFramesGrow(t, viewer, framesDecodedJS, 10*time.Second)
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-room').dataset.state === 'live'`, "the viewer to be live again")
}
