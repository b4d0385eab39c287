package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/internal/testenv"
)

// TestGamesOverHTTP walks the games through a whole node as an anchor and
// viewers would: a red packet launched and grabbed (once per viewer, rate
// limited), a draw opened, entered, closed, verified and claimed, a gift
// refused for an empty wallet, the analytics and the audit trail; every
// refusal names its code.
func TestGamesOverHTTP(t *testing.T) {
	s := newServer(t)
	admin := s.AdminToken()
	do := func(want int, method, path, bearer, body string, out any, headers ...string) {
		t.Helper()
		ct := ""
		if body != "" {
			ct = fiber.MIMEApplicationJSON
		}
		resp, raw := exchange(t, s, method, path, bearer, ct, body, headers...)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
	}
	code := func(method, path, bearer, body string, headers ...string) string {
		t.Helper()
		_, raw := exchange(t, s, method, path, bearer, fiber.MIMEApplicationJSON, body, headers...)
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(raw, &e)
		return e.Error.Code
	}
	user := func(id string) string {
		var m struct{ Token string }
		do(http.StatusCreated, "POST", "/api/tokens", admin, `{"user_id":"`+id+`"}`, &m)
		return m.Token
	}
	var room struct{ ID string }
	do(http.StatusCreated, "POST", "/api/rooms", admin, `{"title":"Games"}`, &room)
	r := "/api/rooms/" + room.ID
	amy, ben := user("amy"), user("ben")

	// A red packet: 3 packets of 1.00 CNY in all, grabbed by two viewers.
	var launched struct {
		Packets []struct {
			ID string `json:"id"`
		} `json:"packets"`
	}
	do(http.StatusCreated, "POST", r+"/redpackets", admin, `{"total_minor":100,"packets":3,"currency":"CNY","duration_s":60}`, &launched)
	if len(launched.Packets) != 1 {
		t.Fatalf("launched %+v", launched)
	}
	grab := "/api/redpackets/" + launched.Packets[0].ID + "/grab"
	testenv.Eventually(t, 5*time.Second, func() bool {
		_, raw := exchange(t, s, "POST", grab, amy, "", "")
		return strings.Contains(string(raw), `"amount_minor"`)
	}, "the packet never opened")
	var g1, g2 struct {
		AmountMinor int64 `json:"amount_minor"`
		Again       bool  `json:"again"`
	}
	do(http.StatusOK, "POST", grab, amy, "", &g1)
	if !g1.Again {
		t.Fatalf("amy's second grab %+v is not her first again", g1)
	}
	do(http.StatusOK, "POST", grab, ben, "", &g2)
	// Past 5 grabs a second, amy is rate limited.
	limited := false
	for i := 0; i < 10 && !limited; i++ {
		limited = code("POST", grab, amy, "") == "rate_limited"
	}
	if !limited {
		t.Fatal("ten grabs in a row were never rate limited")
	}
	if c := code("POST", grab, "", ""); c != "missing_token" {
		t.Fatalf("an anonymous grab: %s", c)
	}
	var wallet struct{ Balances map[string]int64 }
	do(http.StatusOK, "GET", "/api/me/wallet", ben, "", &wallet)
	if wallet.Balances["CNY"] != g2.AmountMinor || g2.AmountMinor < 1 {
		t.Fatalf("ben's wallet %v after a grab of %d", wallet.Balances, g2.AmountMinor)
	}

	// A draw anyone may enter by pressing Enter.
	var d struct {
		ID         string `json:"id"`
		Commitment string `json:"commitment"`
	}
	if c := code("POST", r+"/draws", admin, `{"title":"x","rule":"keyword","winners":1,"duration_s":60,"prize":{"kind":"points","points":5}}`); c != "draw_invalid" {
		t.Fatalf("a keyword draw without a keyword: %s", c)
	}
	do(http.StatusCreated, "POST", r+"/draws", admin, `{"title":"Bag","rule":"open","winners":1,"duration_s":60,"prize":{"kind":"points","points":5}}`, &d)
	dp := "/api/draws/" + d.ID
	if c := code("GET", dp+"/entries", "", ""); c != "draw_still_open" {
		t.Fatalf("entries of an open draw: %s", c)
	}
	do(http.StatusOK, "POST", dp+"/enter", amy, "", nil)
	do(http.StatusOK, "POST", dp+"/enter", amy, "", nil) // once per user
	do(http.StatusOK, "POST", dp+"/enter", ben, "", nil)
	if c := code("POST", dp+"/close", amy, ""); c != "invalid_push_key" {
		t.Fatalf("a viewer closing the draw: %s", c)
	}
	do(http.StatusOK, "POST", dp+"/close", admin, "", nil)
	var pub struct {
		Seed    string   `json:"seed"`
		Entries []string `json:"entries"`
		Winners []string `json:"winners"`
	}
	do(http.StatusOK, "GET", dp+"/entries", "", "", &pub)
	if len(pub.Entries) != 2 || len(pub.Winners) != 1 || len(pub.Seed) != 64 {
		t.Fatalf("published %+v", pub)
	}
	var mine struct {
		Won     bool   `json:"won"`
		Claimed bool   `json:"claimed"`
		Pseudo  string `json:"pseudonym"`
	}
	winner, loser := amy, ben
	do(http.StatusOK, "GET", dp+"/me", amy, "", &mine)
	if !mine.Won {
		winner, loser = ben, amy
	}
	if c := code("POST", dp+"/claim", loser, ""); c != "draw_not_winner" {
		t.Fatalf("the other entrant's claim: %s", c)
	}
	do(http.StatusOK, "POST", dp+"/claim", winner, "", &mine)
	if !mine.Claimed || mine.Pseudo != pub.Winners[0] {
		t.Fatalf("claim %+v, winner %s", mine, pub.Winners[0])
	}

	// A product prize: the winner's claim is an order at price 0, PAID,
	// its unit taken from stock; a second claim is the same order.
	var prod struct{ ID string }
	do(http.StatusCreated, "POST", "/api/products", admin, `{"title":"Silk scarf","price_minor":2599,"currency":"USD","stock":1}`, &prod)
	var pd struct{ ID string }
	do(http.StatusCreated, "POST", r+"/draws", admin, `{"title":"Scarf","rule":"open","winners":1,"duration_s":60,"prize":{"kind":"product","product_id":"`+prod.ID+`"}}`, &pd)
	do(http.StatusOK, "POST", "/api/draws/"+pd.ID+"/enter", amy, "", nil)
	do(http.StatusOK, "POST", "/api/draws/"+pd.ID+"/close", admin, "", nil)
	var prize struct {
		Claimed  bool   `json:"claimed"`
		PrizeRef string `json:"prize_ref"`
	}
	do(http.StatusOK, "POST", "/api/draws/"+pd.ID+"/claim", amy, "", &prize)
	again := prize
	do(http.StatusOK, "POST", "/api/draws/"+pd.ID+"/claim", amy, "", &again)
	var po struct {
		Status      string `json:"status"`
		AmountMinor int64  `json:"amount_minor"`
		ProductID   string `json:"product_id"`
	}
	do(http.StatusOK, "GET", "/api/orders/"+prize.PrizeRef, amy, "", &po)
	if !prize.Claimed || again.PrizeRef != prize.PrizeRef || po.Status != "PAID" || po.AmountMinor != 0 || po.ProductID != prod.ID {
		t.Fatalf("prize %+v, again %+v, order %+v", prize, again, po)
	}
	if c := code("POST", "/api/orders", ben, `{"product_id":"`+prod.ID+`","quantity":1}`); c != "sold_out" {
		t.Fatalf("the prize's unit is still on sale: %s", c)
	}

	// A coupon prize: the winner's claim of the template, once.
	var tpl struct{ ID string }
	body, _ := json.Marshal(map[string]any{"title": "¥5 off", "kind": "amount_off", "amount_minor": 500, "currency": "CNY", "total": 10, "per_user": 1,
		"starts_at": time.Now().Add(-time.Minute).UTC(), "ends_at": time.Now().Add(time.Hour).UTC()})
	do(http.StatusCreated, "POST", r+"/coupons", admin, string(body), &tpl)
	var cd struct{ ID string }
	do(http.StatusCreated, "POST", r+"/draws", admin, `{"title":"Coupon","rule":"open","winners":1,"duration_s":60,"prize":{"kind":"coupon","coupon_id":"`+tpl.ID+`"}}`, &cd)
	do(http.StatusOK, "POST", "/api/draws/"+cd.ID+"/enter", ben, "", nil)
	do(http.StatusOK, "POST", "/api/draws/"+cd.ID+"/close", admin, "", nil)
	var cp struct {
		Claimed  bool   `json:"claimed"`
		PrizeRef string `json:"prize_ref"`
	}
	do(http.StatusOK, "POST", "/api/draws/"+cd.ID+"/claim", ben, "", &cp)
	var myCoupons map[string]any
	do(http.StatusOK, "GET", "/api/me/coupons", ben, "", &myCoupons)
	if !cp.Claimed || cp.PrizeRef == "" || !strings.Contains(fmt.Sprint(myCoupons), cp.PrizeRef) {
		t.Fatalf("coupon prize %+v, ben's coupons %v", cp, myCoupons)
	}

	// Gifts: the catalogue, then a gift from an empty wallet.
	do(http.StatusOK, "PUT", "/api/gifts/rocket", admin, `{"name":"Rocket","price_minor":5000,"currency":"CNY","tier":4}`, nil)
	if c := code("POST", r+"/gifts", amy, `{"gift_id":"rocket","pay":"wallet"}`, "Idempotency-Key", "k1"); c != "wallet_insufficient" {
		t.Fatalf("a gift from a wallet too low: %s", c)
	}
	var ordered struct {
		Order struct {
			ID          string `json:"id"`
			AmountMinor int64  `json:"amount_minor"`
		} `json:"order"`
	}
	do(http.StatusCreated, "POST", r+"/gifts", amy, `{"gift_id":"rocket","count":2,"pay":"order"}`, &ordered, "Idempotency-Key", "k2")
	if ordered.Order.AmountMinor != 10000 {
		t.Fatalf("gift order %+v", ordered)
	}
	if c := code("POST", r+"/gifts", amy, `{"gift_id":"nosuch","pay":"order"}`, "Idempotency-Key", "k3"); c != "gift_not_found" {
		t.Fatalf("an unknown gift: %s", c)
	}

	var stats struct {
		Draws      struct{ Draws, Entries, Winners, Claimed int }
		Redpackets struct {
			Packets int
			Grabs   int `json:"grabs"`
		}
	}
	do(http.StatusOK, "GET", r+"/games/stats", admin, "", &stats)
	if stats.Draws.Draws != 3 || stats.Draws.Entries != 4 || stats.Draws.Winners != 3 || stats.Draws.Claimed != 3 || stats.Redpackets.Packets != 1 || stats.Redpackets.Grabs != 2 {
		t.Fatalf("stats %+v", stats)
	}
	var trail struct {
		Entries []struct{ Action, Outcome, UserID string } `json:"entries"`
	}
	do(http.StatusOK, "GET", "/api/games/audit?target="+launched.Packets[0].ID, admin, "", &trail)
	outcomes := map[string]int{}
	for _, e := range trail.Entries {
		outcomes[e.Action+":"+e.Outcome]++
	}
	if outcomes["redpacket.launch:ok"] != 1 || outcomes["redpacket.grab:grabbed"] != 2 || outcomes["redpacket.grab:rate_limited"] < 1 {
		t.Fatalf("audit %v", outcomes)
	}
}
