//go:build browser

package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
)

// TestOfferEditor is #14's operator side: in the dashboard, for a
// scheduled room, the operator writes a presale offer with real clicks and
// keys (a full-price tier and an early-bird tier with two price steps) and
// saves it; the public presale page shows both tiers with their prices;
// the dashboard's presale analytics count the page's visit.
func TestOfferEditor(t *testing.T) {
	n := startNode(t)
	admin := n.srv.AdminToken()
	starts := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
	r := createRoom(t, n, "Autumn launch", map[string]any{"starts_at": starts.Format(time.RFC3339)})
	browser := newBrowser(t)
	d := newPage(t, browser, "dashboard", n.base+"/dashboard")
	d.waitFor(10*time.Second, `!document.getElementById('login').hidden`, "the login form")
	d.fill(`document.getElementById('login-token')`, admin+"\r")
	d.waitFor(10*time.Second, `!document.getElementById('dash').hidden`, "the dashboard")
	manage := `document.querySelector('#rooms tr[data-room=` + jsString(r.ID) + `] button')`
	d.waitFor(10*time.Second, shown(manage), "the room's Manage button")
	d.click(manage)
	d.waitFor(10*time.Second, `document.getElementById('detail-id').textContent === `+jsString(r.ID), "the room's details")
	d.waitFor(10*time.Second, `!!document.getElementById('o-add-tier') && document.getElementById('o-show-title').value === 'Autumn launch' && document.getElementById('o-starts').value !== ''`,
		"the offer editor, started from the scheduled room")

	tier := func(i int, field string) string {
		return `document.querySelectorAll('#offer-form .offer-tier')[` + string(rune('0'+i)) + `].querySelector('.o-` + field + `')`
	}
	d.clickCSS("#o-add-tier")
	d.fill(tier(0, "name"), "standard")
	d.fill(tier(0, "title"), "Standard")
	d.fill(tier(0, "price"), "49")
	d.clickCSS("#o-add-tier")
	d.fill(tier(1, "name"), "early")
	d.fill(tier(1, "title"), "Early bird")
	d.fill(tier(1, "qty"), "200")
	d.click(tier(1, "mode"))
	d.key(kb.ArrowDown) // full → deposit
	d.key(kb.ArrowDown) // → tiered
	d.key("\r")
	d.waitFor(5*time.Second, tier(1, "mode")+`.value === 'tiered'`, "the early-bird tier's pricing set to steps")
	d.fill(tier(1, "steps"), "100×39, 100×59")
	d.clickCSS("#o-save")
	d.waitFor(10*time.Second, `document.querySelector('#offer-form .o-status').textContent === 'Saved.'`, "the offer saved")
	d.screenshot("dashboard-offer-editor")

	var offer struct {
		Tiers []struct {
			Name       string `json:"name"`
			PriceMinor int64  `json:"price_minor"`
			Steps      []struct {
				Quantity   int64 `json:"quantity"`
				PriceMinor int64 `json:"price_minor"`
			} `json:"steps"`
		} `json:"tiers"`
	}
	n.mustCall(t, "GET", "/api/rooms/"+r.ID+"/presale", "", nil, &offer)
	if len(offer.Tiers) != 2 || offer.Tiers[0].PriceMinor != 4900 || offer.Tiers[1].Name != "early" || len(offer.Tiers[1].Steps) != 2 || offer.Tiers[1].Steps[1].PriceMinor != 5900 {
		t.Fatalf("the saved offer = %+v", offer)
	}

	p := newPage(t, browser, "presale", n.base+"/presale/"+r.ID)
	p.waitFor(15*time.Second, `document.querySelectorAll('.presale-tier').length === 2`, "both tiers on the presale page")
	if got := p.text(`document.querySelector('.presale-tier[data-tier="early"] .presale-price').textContent`); !strings.Contains(got, "39") {
		t.Fatalf("the early-bird price reads %q", got)
	}
	if !p.bool(shown(`document.getElementById('signin-note')`)) {
		t.Fatal("a guest is not told to sign in to buy")
	}
	d.waitFor(15*time.Second, `(document.querySelector('#presale-stats [data-stat="views"] strong') || {}).textContent === '1'`, "the page view in the analytics")
	d.screenshot("dashboard-presale-analytics")
}
