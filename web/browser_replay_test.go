//go:build browser

package web_test

import (
	"testing"
	"time"
)

// TestReplaySells is #16's replay: a recorded show in which the anchor
// presents two products while a viewer comments, then ends it; the replay
// page plays the recording in headless Chromium (currentTime advances,
// frames decoded), lists both products as chapters, and a click on the
// second product's chapter jumps there and shows its card; the chat
// replays at the moments it was written; Buy on that card pays in the
// sandbox at the list price (the live price was for the live only). The
// embed on another origin's page plays the same replay with the same
// element and events. The after-show report counts the replay views, the
// chapter plays and the order.
func TestReplaySells(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	r := createRoom(t, n, "Recorded show", nil)
	n.mustCall(t, "PATCH", "/api/rooms/"+r.ID, admin, map[string]any{"record": true}, nil)
	ids := make([]string, 2)
	for i, p := range []map[string]any{
		{"title": "Green tea", "price_minor": 1200, "currency": "CNY", "stock": 10, "images": []string{"/assets/img/scarf.svg"}},
		{"title": "Tea cup", "price_minor": 3500, "currency": "CNY", "stock": 10, "images": []string{"/assets/img/scarf.svg"}},
	} {
		var prod struct {
			ID string `json:"id"`
		}
		n.mustCall(t, "POST", "/api/products", admin, p, &prod)
		ids[i] = prod.ID
	}
	n.mustCall(t, "PUT", "/api/rooms/"+r.ID+"/products", admin, map[string]any{"product_ids": ids}, nil)
	browser := newBrowser(t)

	studio := newPage(t, browser, "studio", n.base+"/studio/"+r.ID)
	goLive(t, studio, admin) // the operator: only they may end the show
	viewer := newPage(t, browser, "viewer", n.base+"/live/"+r.ID+"#token="+mintUser(t, n, "vera", "Vera"))
	waitFramesGrow(t, viewer, framesDecodedJS, 20*time.Second)
	say(viewer, "hello before the cup")
	viewer.waitFor(10*time.Second, listHas("hello before the cup"), "the first comment")
	studio.waitFor(10*time.Second, `document.querySelectorAll('#goods .good').length === 2`, "both goods in the studio")
	studio.clickCSS(`#goods .good:nth-child(1) .present`)
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-card-title') && document.querySelector('.ls-card-title').textContent === 'Green tea'`, "the tea card")
	time.Sleep(3 * time.Second) // the tea's explanation lasts a few seconds of video
	studio.clickCSS(`#goods .good:nth-child(2) .present`)
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-card-title').textContent === 'Tea cup'`, "the cup card")
	// A live price for the cup, for the live only.
	n.mustCall(t, "POST", "/api/rooms/"+r.ID+"/presenting", admin, map[string]any{"product_id": ids[1], "live_price_minor": 2900}, nil)
	viewer.waitFor(10*time.Second, `document.querySelector('.ls-card-price').textContent.includes('29')`, "the cup's live price on the card")
	time.Sleep(2 * time.Second) // the comment comes 2 s into the cup's chapter
	say(viewer, "how big is the cup")
	viewer.waitFor(10*time.Second, listHas("how big is the cup"), "the second comment")
	time.Sleep(2 * time.Second)
	n.mustCall(t, "DELETE", "/api/rooms/"+r.ID+"/presenting", admin, nil, nil) // the operator does not keep the live price
	studio.clickCSS("#end-show")
	studio.waitFor(5*time.Second, `document.getElementById('end-confirm').open`, "the confirmation")
	studio.clickCSS("#end-yes")

	// The show becomes a replay with two chapters, and its recording completes.
	var replay struct {
		Show struct {
			ID string `json:"id"`
		} `json:"show"`
		Chapters []struct {
			ProductID string `json:"product_id"`
		} `json:"chapters"`
	}
	var recs struct {
		Recordings []struct {
			State string `json:"state"`
		} `json:"recordings"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		replay.Chapters, recs.Recordings = nil, nil
		st := n.call(t, "GET", "/api/rooms/"+r.ID+"/replay", "", nil, &replay)
		n.call(t, "GET", "/api/rooms/"+r.ID+"/recordings", admin, nil, &recs)
		if st == 200 && len(replay.Chapters) == 2 && len(recs.Recordings) == 1 && recs.Recordings[0].State == "complete" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replay: chapters %+v, recordings %+v", replay.Chapters, recs.Recordings)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if replay.Chapters[0].ProductID != ids[0] || replay.Chapters[1].ProductID != ids[1] {
		t.Fatalf("chapters = %+v, want %v", replay.Chapters, ids)
	}

	buyer := newPage(t, browser, "replay", n.base+"/replay/"+r.ID+"#token="+mintUser(t, n, "bea", "Bea"))
	video := `document.querySelector('.ls-replay-video')`
	buyer.waitFor(20*time.Second, video+`.currentTime > 1 && `+video+`.getVideoPlaybackQuality().totalVideoFrames > 10`, "the recording playing with frames decoded")
	buyer.waitFor(5*time.Second, `document.querySelectorAll('.ls-chapter').length === 2 && document.querySelectorAll('.ls-chapter')[1].querySelector('.ls-chapter-title').textContent === 'Tea cup'`, "the two chapters")
	buyer.screenshot("replay-playing")
	// Each chapter is its own clip to share, cut by the recordings.
	if !buyer.bool(`fetch(document.querySelectorAll('.ls-chapter-clip')[1].href).then(r => r.ok && /^video\//.test(r.headers.get('content-type')) && r.headers.get('x-clip-from-ms') !== null)`) {
		t.Error("the cup chapter's clip link does not answer a video clip")
	}

	chat := `[...document.querySelectorAll('.ls-replay-msg .ls-replay-text')].map(e => e.textContent)`
	buyer.clickCSS(`.ls-chapter[data-index="1"]`)
	buyer.waitFor(5*time.Second, shown(`document.querySelector('.ls-replay-card')`)+` && document.querySelector('.ls-replay-card .ls-card-title').textContent === 'Tea cup' && document.querySelector('.ls-replay-card .ls-card-price').textContent === '¥35.00' && document.querySelector('.ls-replay-note').textContent === 'Live price ¥29.00 was for the live only'`, "the cup's card after the jump, at its list price")
	// Just after the jump, the chat holds what was written before the cup's
	// chapter and not yet the comment 2 s into it; that one comes when the
	// video reaches its moment.
	buyer.waitFor(5*time.Second, chat+`.includes('hello before the cup') && !`+chat+`.includes('how big is the cup')`, "the chat as it was when the cup was presented")
	cupStart := buyer.number(`window.livesell.replay.chapters[1].from`)
	comment := buyer.number(`window.livesell.replay.messages.find(m => m.text === 'how big is the cup').t`)
	buyer.waitFor(15*time.Second, chat+`.includes('how big is the cup')`, "the second comment replayed")
	at := buyer.number(video + `.currentTime * 1000`)
	if comment-cupStart < 1000 || at < comment || at > comment+2000 {
		t.Errorf("the comment written %.0f ms into the chapter was replayed at media %.0f ms (its moment: %.0f ms)", comment-cupStart, at, comment)
	}
	buyer.screenshot("replay-cup-chapter")

	buyer.clickCSS(".ls-replay-buy")
	buyer.clickInFrame(`document.querySelector('.ls-checkout-frame')`, "/pay/sandbox/", "#sandbox-pay")
	buyer.waitFor(20*time.Second, `document.querySelector('.ls-checkout').dataset.result === 'paid'`, "the replay order paid")
	var orders struct {
		Orders []struct {
			ProductID   string `json:"product_id"`
			UserID      string `json:"user_id"`
			AmountMinor int64  `json:"amount_minor"`
		} `json:"orders"`
	}
	n.mustCall(t, "GET", "/api/orders?room="+r.ID+"&status=PAID", admin, nil, &orders)
	if len(orders.Orders) != 1 || orders.Orders[0].UserID != "bea" || orders.Orders[0].AmountMinor != 3500 {
		t.Fatalf("paid orders = %+v, want bea's cup at the list price 3500", orders.Orders)
	}

	// The embed plays the replay with the same element and events, on
	// another origin's page.
	host := serveHost(t, map[string]string{"shop": `<!doctype html><html><body><script>window.seen = [];
for (const n of ['ready', 'product', 'card-shown']) document.addEventListener(n, (e) => window.seen.push(n + ':' + ((e.detail && e.detail.product_id) || '')));
</script><script src="` + n.base + `/embed.js" async></script><livesell-room room="` + r.ID + `" replay lang="en" style="display:block;width:900px"></livesell-room></body></html>`})
	shop := newPage(t, browser, "embed-replay", host+"/shop")
	shop.waitFor(20*time.Second, embedded(".ls-replay-video")+`.currentTime > 0.5 && `+embedded(".ls-replay-video")+`.getVideoPlaybackQuality().totalVideoFrames > 5`, "the embedded replay playing")
	shop.waitFor(5*time.Second, `document.querySelector('livesell-room').shadowRoot.querySelectorAll('.ls-chapter').length === 2 && window.seen.includes('ready:')`, "the embed's chapters and its ready event")
	shop.click(embedded(`.ls-chapter[data-index="1"]`))
	shop.waitFor(5*time.Second, `window.seen.includes('product:`+ids[1]+`') && window.seen.includes('card-shown:`+ids[1]+`') && `+shown(embedded(".ls-replay-card"))+` && `+embedded(".ls-replay-card .ls-card-title")+`.textContent === 'Tea cup'`, "the embed's chapter jump with its events")
	shop.screenshot("embed-replay")

	// The report counts the replay.
	var rep struct {
		Replay struct {
			Views        int `json:"views"`
			ChapterPlays int `json:"chapter_plays"`
			Orders       int `json:"orders"`
			PaidOrders   int `json:"paid_orders"`
		} `json:"replay"`
		Chapters []struct{} `json:"chapters"`
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		n.mustCall(t, "GET", "/api/rooms/"+r.ID+"/shows/"+replay.Show.ID+"/report", admin, nil, &rep)
		if rep.Replay.Views >= 2 && rep.Replay.ChapterPlays == 2 && rep.Replay.PaidOrders == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("report replay = %+v", rep.Replay)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
