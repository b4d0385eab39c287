package commerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/internal/apidoc"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

const adminToken = "admin-secret-token"

// sandboxSecret is long enough for commerce.New (at least 32 bytes).
const sandboxSecret = "sandbox-secret-for-tests-0123456789"

type fakeRooms map[string]string // room → push key

// PushKeyID is the room store's push-key check: the key's id is "k1-<room>".
func (f fakeRooms) PushKeyID(ctx context.Context, roomID, key string) (string, error) {
	if k, ok := f[roomID]; ok && auth.SecretEqual(key, k) {
		return "k1-" + roomID, nil
	}
	return "", auth.ErrInvalidPushKey
}

type harness struct {
	t     *testing.T
	app   *fiber.App
	c     *commerce.Commerce
	users *auth.Verifier
	b     *backend.Backends
	ns    string
	sbx   *sandbox.Provider
}

func newHarness(t *testing.T, b *backend.Backends, ns string) *harness {
	t.Helper()
	return newHarnessWith(t, b, ns, nil)
}

// newHarnessWith is newHarness with options changed by edit.
func newHarnessWith(t *testing.T, b *backend.Backends, ns string, edit func(*commerce.Options)) *harness {
	t.Helper()
	users := auth.NewVerifier([]byte("jwt-secret-for-tests"), "")
	ctx := context.Background()
	opts := commerce.Options{
		Backends: b, Namespace: ns, AdminToken: adminToken, Users: users, TokenTTL: time.Hour,
		SandboxSecret: sandboxSecret, Sandbox: true, Auth: auth.New(auth.Options{AdminToken: adminToken, Users: users, PushKeys: fakeRooms{"r1": "lsk_pushkey_r1"}}),
		SweepEvery: 50 * time.Millisecond, Log: testenv.Logger(t),
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := commerce.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t))})
	c.Mount(app)
	return &harness{t: t, app: app, c: c, users: users, b: b, ns: ns, sbx: sandbox.New(sandboxSecret, 5*time.Minute)}
}

func (h *harness) do(method, path, token string, body any, header map[string]string) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := h.app.Test(req, 30_000)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (h *harness) must(status int, method, path, token string, body any, header map[string]string) map[string]any {
	h.t.Helper()
	got, raw := h.do(method, path, token, body, header)
	if got != status {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, raw)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

func (h *harness) token(user string) string {
	m := h.must(201, "POST", "/api/tokens", adminToken, map[string]any{"user_id": user}, nil)
	return m["token"].(string)
}

func errCode(raw []byte) string {
	var e apierr.Body
	json.Unmarshal(raw, &e)
	return e.Error.Code
}

func TestLiveSellingOverHTTP(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		ctx := context.Background()

		// Anchors and admins only.
		if st, raw := h.do("POST", "/api/products", "", map[string]any{"title": "x"}, nil); st != 401 || errCode(raw) != "missing_token" {
			t.Fatalf("anonymous create product: %d %s", st, raw)
		}
		if st, _ := h.do("POST", "/api/products", "lsk_pushkey_r1", map[string]any{"title": "x"}, nil); st != 401 && st != 403 {
			t.Fatalf("push key creating a product: %d", st)
		}
		for _, bad := range []string{`{"title":"Tea","price_minor":-1,"currency":"USD"}`, `{"title":"","price_minor":1,"currency":"USD"}`, `{"title":"Tea","price_minor":1,"currency":"dollars"}`, `{"title":"Tea","price_minor":1,"currency":"USD","extra":1}`, `not json`} {
			if st, raw := h.do("POST", "/api/products", adminToken, bad, nil); st != 400 {
				t.Fatalf("bad product %s: %d %s", bad, st, raw)
			}
		}
		p := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Oolong", "price_minor": 2500, "currency": "usd", "stock": 3, "per_user_limit": 2, "images": []string{"https://cdn.example/tea.jpg"}}, nil)
		pid := p["id"].(string)
		if p["stock_left"].(float64) != 3 || p["currency"] != "USD" {
			t.Fatalf("product %v", p)
		}

		// Bind and present with the room's push key; the card reaches JetStream.
		if st, _ := h.do("PUT", "/api/rooms/r1/products", "lsk_pushkey_other", map[string]any{"product_ids": []string{pid}}, nil); st != 401 {
			t.Fatalf("wrong push key binding: %d", st)
		}
		if st, raw := h.do("PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{"prd_missing"}}, nil); st != 404 {
			t.Fatalf("binding a missing product: %d %s", st, raw)
		}
		bound := h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{pid}}, nil)
		if len(bound["products"].([]any)) != 1 {
			t.Fatalf("bound %v", bound)
		}
		h.must(200, "GET", "/api/rooms/r1/products", "", nil, nil)
		card := h.must(200, "POST", "/api/rooms/r1/presenting", "lsk_pushkey_r1", map[string]any{"product_id": pid, "live_price_minor": 1999}, nil)
		if card["shown"] != true || card["live_price_minor"].(float64) != 1999 || card["stock_left"].(float64) != 3 {
			t.Fatalf("card %v", card)
		}
		lastCard := func() events.ProductCard {
			st, err := b.JetStream.Stream(ctx, events.CardsStream(ns))
			if err != nil {
				t.Fatal(err)
			}
			m, err := st.GetLastMsgForSubject(ctx, events.CardSubject(ns, "r1"))
			if err != nil {
				return events.ProductCard{}
			}
			var c events.ProductCard
			json.Unmarshal(m.Data, &c)
			return c
		}
		if c := lastCard(); !c.Shown || c.ProductID != pid {
			t.Fatalf("published card %+v", c)
		}

		// Buyers.
		alice, bob := h.token("alice"), h.token("bob")
		if st, _ := h.do("POST", "/api/orders", "", map[string]any{"product_id": pid}, nil); st != 401 {
			t.Fatalf("order without token: %d", st)
		}
		if st, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": pid, "quantity": 0.5}, nil); st != 400 {
			t.Fatalf("fractional quantity: %d %s", st, raw)
		}
		key := map[string]string{"Idempotency-Key": "checkout-1"}
		o := h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid, "quantity": 2, "room": "r1"}, key)
		oid := o["id"].(string)
		if o["amount_minor"].(float64) != 3998 || o["status"] != "PENDING" {
			t.Fatalf("order %v", o)
		}
		again := h.must(200, "POST", "/api/orders", alice, map[string]any{"product_id": pid, "quantity": 2, "room": "r1"}, key)
		if again["id"] != oid {
			t.Fatalf("retry gave %v, want %s", again["id"], oid)
		}
		if st, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": pid, "quantity": 1, "room": "r1"}, key); st != 422 || errCode(raw) != "idempotency_key_reused" {
			t.Fatalf("reused key: %d %s", st, raw)
		}
		if st, raw := h.do("POST", "/api/orders", alice, map[string]any{"product_id": pid}, nil); st != 409 || errCode(raw) != "limit_reached" {
			t.Fatalf("over the per-user limit: %d %s", st, raw)
		}
		bo := h.must(201, "POST", "/api/orders", bob, map[string]any{"product_id": pid}, nil)
		if st, raw := h.do("POST", "/api/orders", h.token("carol"), map[string]any{"product_id": pid}, nil); st != 409 || errCode(raw) != "sold_out" {
			t.Fatalf("sold out: %d %s", st, raw)
		}
		// Orders are private.
		if st, _ := h.do("GET", "/api/orders/"+oid, bob, nil, nil); st != 404 {
			t.Fatalf("bob reading alice's order: %d", st)
		}
		h.must(200, "GET", "/api/orders/"+oid, alice, nil, nil)
		// The card follows the stock (throttled republish).
		testenv.Eventually(t, 5*time.Second, func() bool { return lastCard().StockLeft == 0 }, "card never showed stock 0")

		// Pay through the sandbox: the hosted page, then callbacks.
		co := h.must(200, "POST", "/api/orders/"+oid+"/pay", alice, map[string]any{"provider": "sandbox"}, nil)
		payID := co["payment_id"].(string)
		if !strings.Contains(co["redirect_url"].(string), "/pay/sandbox/"+payID+"#t=") {
			t.Fatalf("checkout %v", co)
		}
		st, page := h.do("GET", "/pay/sandbox/"+payID, "", nil, nil)
		if st != 200 || !bytes.Contains(page, []byte(`id="sandbox-pay"`)) || !bytes.Contains(page, []byte(`id="sandbox-fail"`)) || !bytes.Contains(page, []byte("39.98")) {
			t.Fatalf("sandbox page %d: %s", st, page)
		}
		notice := sandbox.Notice{PaymentID: payID, TransactionID: "tx-1", Status: "paid", AmountMinor: 3998, Currency: "USD"}
		post := func(hdr http.Header, body []byte) (int, []byte) {
			m := map[string]string{}
			for k := range hdr {
				m[k] = hdr.Get(k)
			}
			return h.do("POST", "/api/payments/sandbox/callback", "", body, m)
		}
		status := func() string {
			return h.must(200, "GET", "/api/orders/"+oid, alice, nil, nil)["status"].(string)
		}
		// Bad signature, stale timestamp, wrong amount: nothing changes.
		forged := sandbox.New("not-the-secret", time.Minute)
		fh, fb := forged.Callback(notice, time.Now())
		if st, _ := post(fh, fb); st != 401 || status() != "PENDING" {
			t.Fatalf("forged callback: %d, order %s", st, status())
		}
		sh, sb := h.sbx.Callback(notice, time.Now().Add(-time.Hour))
		if st, _ := post(sh, sb); st != 401 || status() != "PENDING" {
			t.Fatalf("stale callback: %d, order %s", st, status())
		}
		wrong := notice
		wrong.AmountMinor = 1
		wh, wb := h.sbx.Callback(wrong, time.Now())
		if st, _ := post(wh, wb); st != 400 || status() != "PENDING" {
			t.Fatalf("wrong amount: %d, order %s", st, status())
		}
		gh, gb := h.sbx.Callback(notice, time.Now())
		if st, raw := post(gh, gb); st != 200 || status() != "PAID" {
			t.Fatalf("good callback: %d %s, order %s", st, raw, status())
		}
		// Replays (the same and a re-signed copy) are acknowledged and change nothing.
		for i := 0; i < 3; i++ {
			rh, rb := h.sbx.Callback(notice, time.Now())
			if st, _ := post(rh, rb); st != 200 {
				t.Fatalf("replay answered %d", st)
			}
		}
		if st, _ := post(gh, gb); st != 200 {
			t.Fatalf("identical replay answered %d", st)
		}
		if n, _ := h.c.Orders.Store().TxnCount(ctx, oid); n != 1 {
			t.Fatalf("%d transactions recorded; want 1", n)
		}

		// Bob pays through the hosted page's button.
		bco := h.must(200, "POST", "/api/orders/"+bo["id"].(string)+"/pay", bob, map[string]any{"provider": "sandbox"}, nil)
		bpay := bco["payment_id"].(string)
		if st, raw := h.do("POST", "/pay/sandbox/"+bpay+"/pay", "", nil, nil); st != 403 {
			t.Fatalf("anonymous press of the sandbox pay button: %d %s", st, raw)
		}
		_, pageToken, _ := strings.Cut(bco["redirect_url"].(string), "#t=")
		if st, raw := h.do("POST", "/pay/sandbox/"+bpay+"/pay", "", "t="+pageToken, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); st != 200 || !bytes.Contains(raw, []byte(`data-status="PAID"`)) {
			t.Fatalf("sandbox pay button: %d %s", st, raw)
		}

		// Admin listing, filters and pagination.
		if st, _ := h.do("GET", "/api/orders", alice, nil, nil); st != 401 && st != 403 {
			t.Fatalf("buyer listing all orders: %d", st)
		}
		page1 := h.must(200, "GET", "/api/orders?status=PAID&limit=1", adminToken, nil, nil)
		if len(page1["orders"].([]any)) != 1 || page1["next_cursor"] == "" {
			t.Fatalf("page 1 %v", page1)
		}
		page2 := h.must(200, "GET", "/api/orders?status=PAID&limit=1&cursor="+page1["next_cursor"].(string), adminToken, nil, nil)
		if len(page2["orders"].([]any)) != 1 || page2["next_cursor"] != "" {
			t.Fatalf("page 2 %v", page2)
		}
		if st, _ := h.do("GET", "/api/orders?status=LOST", adminToken, nil, nil); st != 400 {
			t.Fatalf("bad status filter: %d", st)
		}
		if st, _ := h.do("GET", "/api/orders?cursor=%%%", adminToken, nil, nil); st != 400 {
			t.Fatalf("bad cursor: %d", st)
		}
		if room := h.must(200, "GET", "/api/orders?room=r1", adminToken, nil, nil); len(room["orders"].([]any)) != 1 {
			t.Fatalf("room filter %v", room)
		}

		// Refund returns the stock.
		h.must(200, "POST", "/api/orders/"+oid+"/refund", adminToken, nil, nil)
		if s := h.must(200, "GET", "/api/products/"+pid+"/stock", "", nil, nil); s["stock_left"].(float64) != 2 {
			t.Fatalf("stock after refund %v", s)
		}

		// An unpaid order expires (two sweepers racing) and its unit returns once.
		one := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Cup", "price_minor": 500, "currency": "USD", "stock": 1}, nil)
		erin := h.token("erin")
		h.must(201, "POST", "/api/orders", erin, map[string]any{"product_id": one["id"]}, nil)
		later := time.Now().Add(time.Hour)
		done := make(chan int, 2)
		for i := 0; i < 2; i++ {
			go func() { n, _ := h.c.Orders.Maintenance.Sweep(ctx, later); done <- n }()
		}
		if n := <-done + <-done; n != 1 {
			t.Fatalf("sweepers expired %d orders; want 1", n)
		}
		if s := h.must(200, "GET", "/api/products/"+one["id"].(string)+"/stock", "", nil, nil); s["stock_left"].(float64) != 1 {
			t.Fatalf("stock after expiry %v", s)
		}

		// Order attempts are rate limited per user.
		frank := h.token("frank")
		limited := false
		for i := 0; i < 15 && !limited; i++ {
			st, raw := h.do("POST", "/api/orders", frank, map[string]any{"product_id": "prd_missing"}, nil)
			limited = st == 429 && errCode(raw) == "rate_limited"
		}
		if !limited {
			t.Fatal("15 order attempts in a burst were never rate limited")
		}

		// Outbox → JetStream: exactly one event per state change.
		want := map[string]int{"created": 3, "paid": 2, "refunded": 1, "expired": 1}
		testenv.Eventually(t, 10*time.Second, func() bool {
			n, _ := h.c.Relay.Pending(ctx)
			return n == 0
		}, "outbox not drained")
		got := countEvents(t, b, ns)
		for typ, n := range want {
			if got[typ] != n {
				t.Fatalf("%s events in JetStream: %d, want %d (all: %v)", typ, got[typ], n, got)
			}
		}
		// A second relay pass (another node) publishes nothing new.
		h.b.SQL.ExecContext(ctx, `UPDATE commerce_outbox SET published_at = 0`)
		if _, err := h.c.Relay.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if again := countEvents(t, b, ns); again["created"] != 3 || again["paid"] != 2 || again["refunded"] != 1 || again["expired"] != 1 {
			t.Fatalf("republishing duplicated events: %v", again)
		}

		// Tags from order events and activity; stats; segment export.
		b.NATS.Publish(events.ActivitySubject(ns), mustJSON(events.Activity{UserID: "alice", Room: "r1", Kind: "watched"}))
		b.NATS.Publish(events.ActivitySubject(ns), mustJSON(events.Activity{UserID: "dave", Room: "r1", Kind: "watched"}))
		b.NATS.Publish(events.ActivitySubject(ns), mustJSON(events.Activity{UserID: "=cmd()", Room: "r1", Kind: "watched"}))
		testenv.Eventually(t, 10*time.Second, func() bool {
			tags := h.must(200, "GET", "/api/users/alice/tags", adminToken, nil, nil)["tags"].([]any)
			kinds := map[string]bool{}
			for _, x := range tags {
				kinds[x.(map[string]any)["tag"].(string)] = true
			}
			return kinds["watched"] && kinds["ordered"] && kinds["paid"]
		}, "alice's tags never showed watched, ordered and paid")
		testenv.Eventually(t, 10*time.Second, func() bool {
			stats := h.must(200, "GET", "/api/rooms/r1/stats", "lsk_pushkey_r1", nil, nil)
			return stats["orders"].(float64) == 1 && stats["watchers"].(float64) == 3 && stats["conversion"].(float64) == 0
		}, "room stats never showed 1 order (refunded) and 3 watchers")
		st, csv := h.do("GET", "/api/segments/export.csv?tag=watched&room=r1", adminToken, nil, nil)
		if st != 200 || !strings.Contains(string(csv), "alice,watched,r1") || !strings.Contains(string(csv), "'=cmd()") {
			t.Fatalf("csv %d: %s", st, csv)
		}
		if st, _ := h.do("GET", "/api/segments/export.csv?tag=bogus", adminToken, nil, nil); st != 400 {
			t.Fatalf("bad tag: %d", st)
		}

		// Hiding the card.
		h.must(204, "DELETE", "/api/rooms/r1/presenting", "lsk_pushkey_r1", nil, nil)
		if c := lastCard(); c.Shown {
			t.Fatalf("card still shown: %+v", c)
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func countEvents(t *testing.T, b *backend.Backends, ns string) map[string]int {
	t.Helper()
	ctx := context.Background()
	st, err := b.JetStream.Stream(ctx, events.OrdersStream(ns))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	seen := map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		var ev events.OrderEvent
		json.Unmarshal(m.Data, &ev)
		if seen[ev.ID] {
			t.Fatalf("event %s stored twice", ev.ID)
		}
		seen[ev.ID] = true
		out[ev.Type]++
	}
	return out
}

// TestOpenAPIDocumentsEveryRoute checks commerce's routes against the API's
// one document (internal/apidoc); the composed server's test checks the
// other direction, that every documented operation is registered.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		served, err := apidoc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		doc, err := apidoc.Parse(served)
		if err != nil {
			t.Fatal(err)
		}
		if d := apidoc.Compare(h.app, doc, apidoc.InScope); len(d.Undocumented) > 0 {
			t.Fatalf("commerce routes not documented: %v", d.Undocumented)
		}
		// The checker catches an undocumented route.
		h.app.Get("/api/undocumented/:id", func(c *fiber.Ctx) error { return nil })
		d := apidoc.Compare(h.app, doc, apidoc.InScope)
		if len(d.Undocumented) != 1 || d.Undocumented[0].String() != "GET /api/undocumented/{id}" {
			t.Fatalf("undocumented route not reported: %+v", d.Undocumented)
		}
	})
}
