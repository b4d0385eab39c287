package commerce_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

// couponBody is a template body valid for the next hour.
func couponBody(title, kind string, extra map[string]any) map[string]any {
	m := map[string]any{"title": title, "kind": kind, "currency": "CNY", "total": 100, "per_user": 1,
		"starts_at": time.Now().Add(-time.Minute).UTC(), "ends_at": time.Now().Add(time.Hour).UTC()}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// TestCouponsOverHTTP: the anchor creates and pushes coupons (a reliable
// room notice with a countdown), a viewer claims in one tap (a retry is
// the same claim), an order with two coupons that may not stack is refused
// with the rule named, an order applies a coupon (the discount computed by
// the server, stored per line, charged through the sandbox), a cancelled
// order's coupon can be used again once, a paid order issues the
// product's return coupon once, and the analytics count it all.
func TestCouponsOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		ctx := context.Background()
		p := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Silk scarf", "price_minor": 29900, "currency": "CNY", "stock": 10}, nil)
		pid := p["id"].(string)
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{pid}}, nil)

		// Templates: only the room's anchor (push key) or the admin.
		if st, _ := h.do("POST", "/api/rooms/r1/coupons", "", couponBody("x", "amount_off", map[string]any{"amount_minor": 100}), nil); st != 401 {
			t.Fatalf("anonymous template: %d", st)
		}
		if st, raw := h.do("POST", "/api/rooms/r1/coupons", "lsk_pushkey_r1", couponBody("bad", "threshold", map[string]any{"amount_minor": 2000}), nil); st != 400 || errCode(raw) != "coupon_invalid" {
			t.Fatalf("threshold without min spend: %d %s", st, raw)
		}
		thr := h.must(201, "POST", "/api/rooms/r1/coupons", "lsk_pushkey_r1", couponBody("¥20 off over ¥199", "threshold", map[string]any{"amount_minor": 2000, "min_spend_minor": 19900}), nil)
		pct := h.must(201, "POST", "/api/rooms/r1/coupons", adminToken, couponBody("10% off", "percent_off", map[string]any{"percent": 10, "cap_minor": 5000}), nil)
		ret := h.must(201, "POST", "/api/rooms/r1/coupons", adminToken, couponBody("Come back: ¥5 off", "amount_off", map[string]any{"amount_minor": 500, "issue_on_paid": pid, "per_user": 5}), nil)
		thrID, pctID, retID := thr["id"].(string), pct["id"].(string), ret["id"].(string)

		// Push: a reliable notice with a countdown, kept in the notices stream.
		n := h.must(200, "POST", "/api/rooms/r1/coupons/"+thrID+"/push", "lsk_pushkey_r1", map[string]any{"seconds": 60}, nil)
		if n["kind"] != "coupon.pushed" || n["reliable"] != true || n["until"] == nil {
			t.Fatalf("push notice %v", n)
		}
		st, err := b.JetStream.Stream(ctx, events.NoticesStream(ns))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := st.GetLastMsgForSubject(ctx, events.NoticeSubject(ns, "r1"))
		if err != nil {
			t.Fatalf("pushed notice not in the stream: %v", err)
		}
		var kept events.Notice
		json.Unmarshal(msg.Data, &kept)
		var data map[string]any
		json.Unmarshal(kept.Data, &data)
		if data["coupon_id"] != thrID || data["left"].(float64) != 100 || kept.Until == nil || kept.Until.Sub(time.Now()) > 61*time.Second {
			t.Fatalf("kept notice %+v %v", kept, data)
		}

		// Claim in one tap; a retry is the same claim.
		alice := h.token("alice")
		c1 := h.must(201, "POST", "/api/coupons/"+thrID+"/claim", alice, nil, nil)
		again := h.must(200, "POST", "/api/coupons/"+thrID+"/claim", alice, nil, nil)
		if c1["id"] != again["id"] || c1["status"] != "claimed" {
			t.Fatalf("claim %v, retry %v", c1, again)
		}
		if st, raw := h.do("POST", "/api/coupons/"+thrID+"/claim", alice, nil, map[string]string{"Idempotency-Key": "second"}); st != 409 || errCode(raw) != "coupon_user_limit" {
			t.Fatalf("second claim over the per-user limit: %d %s", st, raw)
		}
		if st, raw := h.do("POST", "/api/coupons/"+thrID+"/claim", adminToken, nil, nil); st != 401 || errCode(raw) != "login_required" {
			t.Fatalf("the admin claiming: %d %s", st, raw)
		}
		c2 := h.must(201, "POST", "/api/coupons/"+pctID+"/claim", alice, nil, nil)
		thrClaim, pctClaim := c1["id"].(string), c2["id"].(string)

		// Two coupons that may not stack: refused, the rule named.
		stRaw, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": pid, "room": "r1", "coupons": []string{thrClaim, pctClaim}}, nil)
		if stRaw != 409 || errCode(raw) != "coupon_stack_percent" || !strings.Contains(string(raw), "percent off does not combine") {
			t.Fatalf("two coupons that may not stack: %d %s", stRaw, raw)
		}
		if left := h.must(200, "GET", "/api/products/"+pid+"/stock", "", nil, nil); left["stock_left"].(float64) != 10 {
			t.Fatalf("a refused order held stock: %v", left)
		}
		// Someone else's claim is not usable.
		bob := h.token("bob")
		if st, raw := h.do("POST", "/api/orders", bob, map[string]any{"product_id": pid, "coupons": []string{thrClaim}}, nil); st != 409 || errCode(raw) != "coupon_not_claimed" {
			t.Fatalf("another user's coupon: %d %s", st, raw)
		}

		// One coupon applies: ¥299 - ¥20, per line, computed by the server.
		o1 := h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid, "room": "r1", "coupons": []string{thrClaim}}, nil)
		if o1["amount_minor"].(float64) != 27900 || o1["discount_minor"].(float64) != 2000 {
			t.Fatalf("order with coupon %v", o1)
		}
		var perLine int64
		if err := b.SQL.QueryRowContext(ctx, `SELECT SUM(discount_minor) FROM commerce_order_discounts WHERE order_id = $1 AND claim_id = $2`, o1["id"], thrClaim).Scan(&perLine); err != nil || perLine != 2000 {
			t.Fatalf("stored line discount %d (%v)", perLine, err)
		}
		if st, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": pid, "coupons": []string{thrClaim}}, nil); st != 409 || errCode(raw) != "coupon_not_claimed" {
			t.Fatalf("a used coupon used again: %d %s", st, raw)
		}

		// Cancelled: the coupon comes back once, and serves one new order.
		h.must(200, "POST", "/api/orders/"+o1["id"].(string)+"/cancel", alice, nil, nil)
		status := func(id string) string {
			var s string
			b.SQL.QueryRowContext(ctx, `SELECT status FROM coupon_claims WHERE id = $1`, id).Scan(&s)
			return s
		}
		testenv.Eventually(t, 15*time.Second, func() bool { return status(thrClaim) == "claimed" }, "the cancelled order's coupon was not returned")
		o2 := h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid, "room": "r1", "coupons": []string{thrClaim}}, map[string]string{"Idempotency-Key": "o2"})
		if o2["amount_minor"].(float64) != 27900 {
			t.Fatalf("second order %v", o2)
		}
		// The cancel event again (a redelivery) gives nothing back.
		if err := h.c.Coupons.OnOrderEvent(ctx, events.OrderEvent{ID: "evt-replayed-cancel", Type: events.OrderCancelled, OrderID: o1["id"].(string)}); err != nil {
			t.Fatal(err)
		}
		if status(thrClaim) != "used" {
			t.Fatalf("a replayed cancel returned the coupon used by the next order: %s", status(thrClaim))
		}
		if st, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": pid, "coupons": []string{thrClaim}}, map[string]string{"Idempotency-Key": "o3"}); st != 409 || errCode(raw) != "coupon_not_claimed" {
			t.Fatalf("the returned coupon served two orders: %d %s", st, raw)
		}

		// Pay the discounted amount through the sandbox.
		oid := o2["id"].(string)
		co := h.must(200, "POST", "/api/orders/"+oid+"/pay", alice, map[string]any{"provider": "sandbox"}, nil)
		notice := sandbox.Notice{PaymentID: co["payment_id"].(string), TransactionID: "tx-c1", Status: "paid", AmountMinor: 27900, Currency: "CNY"}
		hdr, body := h.sbx.Callback(notice, time.Now())
		m := map[string]string{}
		for k := range hdr {
			m[k] = http.Header(hdr).Get(k)
		}
		if st, raw := h.do("POST", "/api/payments/sandbox/callback", "", body, m); st != 200 {
			t.Fatalf("callback %d %s", st, raw)
		}
		if got := h.must(200, "GET", "/api/orders/"+oid, alice, nil, nil); got["status"] != "PAID" || got["amount_minor"].(float64) != 27900 || got["discount_minor"].(float64) != 2000 {
			t.Fatalf("paid order %v", got)
		}

		// The paid order issues the product's return coupon, once.
		returnCoupons := func() int {
			var n int
			b.SQL.QueryRowContext(ctx, `SELECT count(*) FROM coupon_claims WHERE template_id = $1 AND user_id = 'alice'`, retID).Scan(&n)
			return n
		}
		testenv.Eventually(t, 15*time.Second, func() bool { return returnCoupons() == 1 }, "no return coupon issued for the paid order")
		var paidEvent events.OrderEvent
		var payload string
		if err := b.SQL.QueryRowContext(ctx, `SELECT payload FROM commerce_outbox WHERE event_type = 'paid' AND payload LIKE $1`, "%"+oid+"%").Scan(&payload); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(payload), &paidEvent)
		if err := h.c.Coupons.OnOrderEvent(ctx, paidEvent); err != nil {
			t.Fatal(err)
		}
		if n := returnCoupons(); n != 1 {
			t.Fatalf("a replayed paid event issued %d return coupons", n)
		}
		mine := h.must(200, "GET", "/api/me/coupons?status=claimed", alice, nil, nil)
		if len(mine["claims"].([]any)) != 2 { // the percent coupon and the return coupon
			t.Fatalf("alice's claimed coupons %v", mine)
		}

		// Analytics: claimed, used, orders and GMV per coupon.
		stats := h.must(200, "GET", "/api/rooms/r1/coupons/stats", "lsk_pushkey_r1", nil, nil)
		if stats["claimed"].(float64) != 3 || stats["used"].(float64) != 1 || stats["orders"].(float64) != 1 || stats["gmv_minor"].(float64) != 27900 {
			t.Fatalf("stats %v", stats)
		}
		list := h.must(200, "GET", "/api/rooms/r1/coupons", "", nil, nil)
		if cs := list["coupons"].([]any); len(cs) != 3 || cs[0].(map[string]any)["left"].(float64) != 99 {
			t.Fatalf("room coupons %v", list)
		}

		// A cart: a coupon for one product takes off that line only, stored per line.
		tea := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 5000, "currency": "CNY", "stock": 5}, nil)
		teaID := tea["id"].(string)
		teaOff := h.must(201, "POST", "/api/rooms/r1/coupons", adminToken, couponBody("¥10 off tea", "amount_off", map[string]any{"amount_minor": 1000, "products": []string{teaID}}), nil)
		bobClaim := h.must(201, "POST", "/api/coupons/"+teaOff["id"].(string)+"/claim", bob, nil, nil)["id"].(string)
		cart := h.must(201, "POST", "/api/orders", bob, map[string]any{"lines": []map[string]any{{"product_id": pid}, {"product_id": teaID}}, "coupons": []string{bobClaim}}, nil)
		if cart["amount_minor"].(float64) != 33900 || cart["discount_minor"].(float64) != 1000 {
			t.Fatalf("cart with a tea coupon %v", cart)
		}
		var line int
		var off int64
		if err := b.SQL.QueryRowContext(ctx, `SELECT line, discount_minor FROM commerce_order_discounts WHERE order_id = $1`, cart["id"]).Scan(&line, &off); err != nil || line != 1 || off != 1000 {
			t.Fatalf("cart discount row: line %d, %d off (%v)", line, off, err)
		}
	})
}
