package commerce_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/api"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/testenv"
)

// logRec keeps every record logged through it.
type logRec struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRec) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRec) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRec) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRec) WithGroup(string) slog.Handler      { return l }

// find returns the attributes of every record with message msg.
func (l *logRec) find(msg string) []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.recs {
		if r.Message != msg {
			continue
		}
		m := map[string]string{"level": r.Level.String()}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// contains reports whether any record's message or attribute contains s.
func (l *logRec) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.recs {
		found := strings.Contains(r.Message, s)
		r.Attrs(func(a slog.Attr) bool { found = found || strings.Contains(a.Value.String(), s); return !found })
		if found {
			return true
		}
	}
	return false
}

func logTo(rec *logRec) func(*commerce.Options) {
	return func(o *commerce.Options) { o.Log = slog.New(rec) }
}

// Issue #11.1: a push key presents only its room's products, never below
// the floor only the admin sets, and every change is logged with its key id.
func TestPresentingIsBoundAndFloored(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		rec := &logRec{}
		h := newHarnessWith(t, b, ns, logTo(rec))
		pid := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Jade", "price_minor": 9_999_900, "currency": "USD", "stock": 5}, nil)["id"].(string)
		other := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Other", "price_minor": 500, "currency": "USD", "stock": 5}, nil)["id"].(string)
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{pid}}, nil)

		present := func(token, product string, live int64) (int, string) {
			st, raw := h.do("POST", "/api/rooms/r1/presenting", token, map[string]any{"product_id": product, "live_price_minor": live}, nil)
			return st, errCode(raw)
		}
		if st, code := present("lsk_pushkey_r1", other, 1); st != 409 || code != "product_not_in_room" {
			t.Fatalf("presenting a product not bound to the room: %d %s", st, code)
		}
		// Without a floor of its own, the server's default cap (50 % off) holds.
		if st, code := present("lsk_pushkey_r1", pid, 1); st != 422 || code != "price_below_floor" {
			t.Fatalf("a 99,999.00 product at 0.01 without a floor: %d %s", st, code)
		}
		if st, code := present("lsk_pushkey_r1", pid, 4_999_950); st != 200 {
			t.Fatalf("half price without a floor: %d %s", st, code)
		}
		// Only the admin sets the floor.
		if st, _ := h.do("PATCH", "/api/products/"+pid, "lsk_pushkey_r1", map[string]any{"min_live_price_minor": 1}, nil); st != 401 && st != 403 {
			t.Fatalf("push key setting a floor: %d", st)
		}
		h.must(200, "PATCH", "/api/products/"+pid, adminToken, map[string]any{"min_live_price_minor": 7_000_000, "max_discount_percent": 20}, nil)
		floor := int64(7_999_920) // 20 % off 9,999,900 is above the minimum
		cases := []struct {
			name   string
			token  string
			live   int64
			status int
			code   string
		}{
			{"one cent", "lsk_pushkey_r1", 1, 422, "price_below_floor"},
			{"just below the floor", "lsk_pushkey_r1", floor - 1, 422, "price_below_floor"},
			{"the admin is held to the floor too", adminToken, 1, 422, "price_below_floor"},
			{"at the floor", "lsk_pushkey_r1", floor, 200, ""},
			{"no live price", "lsk_pushkey_r1", 0, 200, ""},
		}
		for _, c := range cases {
			if st, code := present(c.token, pid, c.live); st != c.status || code != c.code {
				t.Fatalf("%s: %d %s; want %d %s", c.name, st, code, c.status, c.code)
			}
		}
		present("lsk_pushkey_r1", pid, floor)
		buyer := h.token("buyer")
		o := h.must(201, "POST", "/api/orders", buyer, map[string]any{"product_id": pid, "room": "r1"}, nil)
		if o["unit_price_minor"].(float64) != float64(floor) {
			t.Fatalf("order at %v; want the floor %d", o["unit_price_minor"], floor)
		}

		changed := rec.find("presenting changed")
		if len(changed) < 4 || changed[0]["key_id"] != "k1-r1" || changed[0]["credential"] != "push_key" {
			t.Fatalf("presenting changes logged: %v", changed)
		}
		refused := rec.find("presenting refused")
		if len(refused) != 5 || refused[0]["key_id"] != "k1-r1" {
			t.Fatalf("refusals logged: %v", refused)
		}
		h.must(204, "DELETE", "/api/rooms/r1/presenting", "lsk_pushkey_r1", nil, nil)
		if cl := rec.find("presenting cleared"); len(cl) != 1 || cl[0]["key_id"] != "k1-r1" {
			t.Fatalf("clear logged: %v", cl)
		}
		if rec.contains("lsk_pushkey_r1") {
			t.Fatal("a push key reached the log")
		}
	})
}

type privateRooms map[string]bool

func (p privateRooms) Private(ctx context.Context, room string) (bool, error) { return p[room], nil }

// Issue #11.16: a private room's live price needs a token that names the
// room; an unscoped user token is refused.
func TestPrivateRoomLivePriceNeedsAdmission(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarnessWith(t, b, ns, func(o *commerce.Options) { o.Rooms = privateRooms{"r1": true} })
		pid := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 2000, "currency": "USD", "stock": 5}, nil)["id"].(string)
		h.must(200, "PUT", "/api/rooms/r1/products", "lsk_pushkey_r1", map[string]any{"product_ids": []string{pid}}, nil)
		h.must(200, "POST", "/api/rooms/r1/presenting", "lsk_pushkey_r1", map[string]any{"product_id": pid, "live_price_minor": 1500}, nil)

		if st, raw := h.do("POST", "/api/orders", h.token("alice"), map[string]any{"product_id": pid, "room": "r1"}, nil); st != 403 || errCode(raw) != "room_forbidden" {
			t.Fatalf("unscoped token ordering in a private room: %d %s", st, raw)
		}
		scoped, _, err := h.users.Mint("bob", "", time.Hour, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if o := h.must(201, "POST", "/api/orders", scoped, map[string]any{"product_id": pid, "room": "r1"}, nil); o["unit_price_minor"].(float64) != 1500 {
			t.Fatalf("scoped order %v", o)
		}
		if o := h.must(201, "POST", "/api/orders", h.token("carol"), map[string]any{"product_id": pid, "room": "r2"}, nil); o["unit_price_minor"].(float64) != 2000 {
			t.Fatalf("public room order %v", o)
		}
	})
}

// proxy forwards loopback TCP to a Redis server until it is cut.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

// cut stops the proxy and drops its connections: Redis is gone.
func (p *proxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

// Issue #11.21: with Redis unreachable, orders answer 503 with Retry-After,
// not 500.
func TestRedisOutageAnswers503(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		orig, ok := b.Redis.(*redis.Client)
		if !ok {
			t.Fatalf("redis client %T", b.Redis)
		}
		px := newProxy(t, orig.Options().Addr)
		rc := redis.NewClient(&redis.Options{Addr: px.ln.Addr().String(), Password: orig.Options().Password, DialTimeout: time.Second, MaxRetries: 1})
		t.Cleanup(func() { rc.Close() })
		h := newHarnessWith(t, &backend.Backends{Redis: rc, SQL: b.SQL, NATS: b.NATS, JetStream: b.JetStream}, ns, nil)
		pid := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 2000, "currency": "USD", "stock": 5}, nil)["id"].(string)
		alice := h.token("alice")
		h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid}, nil)

		px.cut()
		for _, path := range []string{"/api/orders", "/api/products/" + pid + "/stock"} {
			method, body := "POST", `{"product_id":"`+pid+`"}`
			if strings.HasSuffix(path, "/stock") {
				method, body = "GET", ""
			}
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+alice)
			resp, err := h.app.Test(req, 30_000)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 503 || errCode(raw) != "store_unavailable" || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("%s %s with Redis gone: %d %q Retry-After %q", method, path, resp.StatusCode, raw, resp.Header.Get("Retry-After"))
			}
		}
	})
}

// Issue #11.14: refused callbacks are rate-limited per address and logged
// at most once per interval; a correctly signed callback still passes.
func TestRefusedCallbacksAreRateLimited(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		rec := &logRec{}
		h := newHarnessWith(t, b, ns, logTo(rec))
		pid := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 2000, "currency": "USD", "stock": 5}, nil)["id"].(string)
		alice := h.token("alice")
		o := h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid}, nil)
		payID := h.must(200, "POST", "/api/orders/"+o["id"].(string)+"/pay", alice, map[string]any{"provider": "sandbox"}, nil)["payment_id"].(string)
		notice := sandbox.Notice{PaymentID: payID, TransactionID: "tx-good", Status: "paid", AmountMinor: 2000, Currency: "USD"}
		post := func(p *sandbox.Provider) int {
			hdr, body := p.Callback(notice, time.Now())
			m := map[string]string{}
			for k := range hdr {
				m[k] = hdr.Get(k)
			}
			st, _ := h.do("POST", "/api/payments/sandbox/callback", "", body, m)
			return st
		}
		forged := sandbox.New("not-the-sandbox-secret-0123456789", time.Minute)
		counts := map[int]int{}
		for i := 0; i < 60; i++ {
			counts[post(forged)]++
		}
		if counts[401] != api.CallbackFailuresPerMinute || counts[429] != 60-api.CallbackFailuresPerMinute {
			t.Fatalf("answers to 60 forged callbacks: %v", counts)
		}
		if warns := rec.find("payment callback refused"); len(warns) != 1 {
			t.Fatalf("%d warnings for 60 forged callbacks; want 1", len(warns))
		}
		if st := post(h.sbx); st != 200 {
			t.Fatalf("the genuine callback after the flood: %d", st)
		}
		if got := h.must(200, "GET", "/api/orders/"+o["id"].(string), alice, nil, nil); got["status"] != "PAID" {
			t.Fatalf("order %v", got["status"])
		}
	})
}

// Issue #11.11: the sandbox runs only when asked for, says so, and its Pay
// button needs the page token or the buyer; weak secrets are refused; the
// server lists the providers the checkout may offer.
func TestSandboxOnlyWhenAskedFor(t *testing.T) {
	if d := config.Default(); d.Commerce.Sandbox != "off" {
		t.Fatalf("default payment-sandbox %q; want off", d.Commerce.Sandbox)
	}
	cfg := config.Default()
	cfg.Commerce.Sandbox = "auto"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "payment-sandbox") {
		t.Fatalf("payment-sandbox=auto: %v", err)
	}
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		for _, weak := range []string{"change-me", "short", strings.Repeat("x", commerce.MinSecretBytes-1)} {
			if _, err := commerce.New(context.Background(), commerce.Options{Backends: b, Namespace: ns, Sandbox: true, SandboxSecret: weak}); err == nil {
				t.Fatalf("sandbox secret %q accepted", weak)
			}
		}
		if _, err := commerce.New(context.Background(), commerce.Options{Backends: b, Namespace: ns,
			Config: config.CommerceConfig{StripeSecretKey: "sk_test_x", StripeWebhookKey: "whsec_1"}}); err == nil {
			t.Fatal("a one-byte Stripe webhook secret was accepted")
		}

		off := newHarnessWith(t, b, ns, func(o *commerce.Options) { o.Sandbox = false })
		if m := off.must(200, "GET", "/api/payments/providers", "", nil, nil); len(m["providers"].([]any)) != 0 || m["sandbox"] != false {
			t.Fatalf("providers without any: %v", m)
		}
		if st, _ := off.do("GET", "/pay/sandbox/pay_x", "", nil, nil); st != 404 {
			t.Fatalf("sandbox page while off: %d", st)
		}

		rec := &logRec{}
		h := newHarnessWith(t, b, ns+"b", logTo(rec))
		if m := h.must(200, "GET", "/api/payments/providers", "", nil, nil); fmt.Sprint(m["providers"]) != "[sandbox]" || m["sandbox"] != true {
			t.Fatalf("providers %v", m)
		}
		if w := rec.find("the sandbox payment provider is ON: anyone may \"pay\" without money (payment-sandbox=on); never in production"); len(w) != 1 || w[0]["level"] != "WARN" {
			t.Fatalf("sandbox warning %v", w)
		}
		pid := h.must(201, "POST", "/api/products", adminToken, map[string]any{"title": "Tea", "price_minor": 2000, "currency": "USD", "stock": 5}, nil)["id"].(string)
		alice, mallory := h.token("alice"), h.token("mallory")
		o := h.must(201, "POST", "/api/orders", alice, map[string]any{"product_id": pid}, nil)
		co := h.must(200, "POST", "/api/orders/"+o["id"].(string)+"/pay", alice, map[string]any{"provider": "sandbox"}, nil)
		payID := co["payment_id"].(string)
		for _, c := range []struct {
			name, token, form string
		}{
			{"anonymous", "", ""},
			{"another buyer", mallory, ""},
			{"a wrong page token", "", "t=00000000000000000000000000000000"},
		} {
			st, raw := h.do("POST", "/pay/sandbox/"+payID+"/pay", c.token, c.form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			if st != 403 {
				t.Fatalf("%s pressing Pay: %d %s", c.name, st, raw)
			}
		}
		if got := h.must(200, "GET", "/api/orders/"+o["id"].(string), alice, nil, nil); got["status"] != "PENDING" {
			t.Fatalf("refused presses changed the order: %v", got["status"])
		}
		st, page := h.do("POST", "/pay/sandbox/"+payID+"/pay", alice, nil, nil)
		if st != 200 || !strings.Contains(string(page), `data-status="PAID"`) {
			t.Fatalf("the buyer pressing Pay: %d %s", st, page)
		}
	})
}

// Issue #10: the commerce room-id rule refuses dots, like every other.
func TestRoomIDRefusesDots(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		h := newHarness(t, b, ns)
		if st, raw := h.do("GET", "/api/rooms/r.1/products", "", nil, nil); st != 400 || errCode(raw) != "invalid_room_id" {
			t.Fatalf("room r.1: %d %s", st, raw)
		}
		if st, raw := h.do("POST", "/api/orders", h.token("a"), map[string]any{"product_id": "prd_x", "room": "r.1"}, nil); st != 400 || errCode(raw) != "invalid_room_id" {
			t.Fatalf("order in room r.1: %d %s", st, raw)
		}
	})
}

// Issue #10: commerce knows nothing of signaling, the SFU or Pion.
func TestCommerceImportsNoMediaOrSignaling(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/livesell/livesell/commerce/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/livesell/livesell/signaling") || strings.HasPrefix(pkg, "github.com/livesell/livesell/sfu") ||
			strings.HasPrefix(pkg, "github.com/pion/") || pkg == "github.com/livesell/livesell/internal/server" {
			t.Errorf("commerce depends on %s", pkg)
		}
	}
}
