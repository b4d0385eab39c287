//go:build browser

package web_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestScheduledRoom is #12's "a scheduled room's countdown page turns into
// the live room at go-live": a room scheduled a minute ahead shows its
// landing screen (title and a running countdown) on /live/{room}; when the
// anchor goes live from the studio (real key presses), the same page —
// never reloaded — plays the video and the countdown is gone.
func TestScheduledRoom(t *testing.T) {
	n := startNode(t)
	start := time.Now().Add(time.Minute).UTC()
	r := createRoom(t, n, "Friday night show", map[string]any{"starts_at": start.Format(time.RFC3339)})
	var info struct {
		State    string `json:"state"`
		StartsAt string `json:"starts_at"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+r.ID, "", nil, &info)
	if info.State != "scheduled" || info.StartsAt == "" {
		t.Fatalf("GET /api/rooms/%s: state %q starts_at %q, want scheduled", r.ID, info.State, info.StartsAt)
	}
	browser := newBrowser(t)

	viewer := newCountingPage(t, browser, "viewer", n.base+"/live/"+r.ID)
	clock := `document.querySelector('.ls-countdown')`
	viewer.waitFor(15*time.Second, shown(clock)+` && `+shown(`document.querySelector('.ls-landing-title')`)+
		` && document.querySelector('.ls-landing-title').textContent === 'Friday night show'`, "the landing screen with its countdown")
	first := viewer.text(clock + `.textContent`)
	if !regexp.MustCompile(`^Starts in 00:0[01]:[0-5]\d$`).MatchString(first) {
		t.Fatalf("countdown reads %q, want \"Starts in 00:00:ss\" about a minute ahead", first)
	}
	viewer.waitFor(5*time.Second, clock+`.textContent !== `+jsString(first), "the countdown to tick")
	if viewer.text(`String(`+shown(`document.querySelector('.ls-video')`)+`)`) != "false" {
		t.Fatal("the video shows through the landing screen")
	}
	viewer.screenshot("viewer-scheduled")
	viewer.text(`(window.__sameDocument = 'yes')`)

	// The same landing screen in a Chinese browser.
	zh := newPage(t, newBrowser(t, chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"), chromedp.Env("LANGUAGE=zh_CN", "LANG=zh_CN.UTF-8")),
		"viewer-zh", n.base+"/live/"+r.ID)
	zh.waitFor(15*time.Second, shown(clock), "the landing screen in zh-CN")
	if got := zh.text(clock + `.textContent`); !regexp.MustCompile(`^距开播 00:0[01]:[0-5]\d$`).MatchString(got) {
		t.Fatalf("zh-CN countdown reads %q, want \"距开播 00:00:ss\"", got)
	}
	zh.screenshot("viewer-scheduled-zh")

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, r.PushKey)
	viewer.waitFor(30*time.Second, viewerState+` === 'live' && !document.querySelector('.ls-landing') && document.querySelector('.ls-video').videoWidth > 0 && `+
		shown(`document.querySelector('.ls-video')`), "the page to turn into the live room")
	if viewer.text(`String(window.__sameDocument)`) != "yes" {
		t.Fatal("the page reloaded to go live")
	}
	waitFramesGrow(t, viewer, framesDecodedJS, 15*time.Second)
	viewer.screenshot("viewer-scheduled-live")
}
