package gift_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/marketing/gift"
	"github.com/livesell/livesell/commerce/marketing/guard"
	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/commerce/marketing/wallet"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/internal/testenv"
)

const (
	adminToken    = "admin-secret-token"
	sandboxSecret = "sandbox-secret-for-tests-0123456789"
)

type harness struct {
	t      *testing.T
	app    *fiber.App
	c      *commerce.Commerce
	g      *gift.Service
	w      *wallet.Store
	sbx    *sandbox.Provider
	mu     sync.Mutex
	notice []events.Notice
}

func newHarness(t *testing.T, b *backend.Backends, ns string) *harness {
	t.Helper()
	ctx := context.Background()
	users := auth.NewVerifier([]byte("jwt-secret-for-tests"), "")
	c, err := commerce.New(ctx, commerce.Options{Backends: b, Namespace: ns, AdminToken: adminToken, Users: users, TokenTTL: time.Hour,
		SandboxSecret: sandboxSecret, Sandbox: true, SweepEvery: 50 * time.Millisecond, Log: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	for _, m := range []func(context.Context) error{
		func(ctx context.Context) error { return wallet.Migrate(ctx, b.SQL) },
		func(ctx context.Context) error { return gift.Migrate(ctx, b.SQL) },
	} {
		if err := m(ctx); err != nil {
			t.Fatal(err)
		}
	}
	app := fiber.New(fiber.Config{ErrorHandler: apierr.FiberHandler(testenv.Logger(t))})
	c.Mount(app)
	h := &harness{t: t, app: app, c: c, w: wallet.NewStore(b.SQL), sbx: sandbox.New(sandboxSecret, 5*time.Minute)}
	sub, err := b.NATS.Subscribe(events.NoticeSubject(ns, "*"), func(m *nats.Msg) {
		var n events.Notice
		json.Unmarshal(m.Data, &n)
		h.mu.Lock()
		h.notice = append(h.notice, n)
		h.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	pub, err := notice.New(ctx, b.JetStream, ns)
	if err != nil {
		t.Fatal(err)
	}
	h.g = gift.New(b.SQL, c.Orders, h.w, guard.NewNotices(pub), testenv.Logger(t))
	runCtx, cancel := context.WithCancel(ctx)
	stop, err := h.g.Consume(runCtx, b.JetStream, ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	return h
}

func (h *harness) do(method, path, token string, body []byte, header http.Header) (int, []byte) {
	h.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k := range header {
		req.Header.Set(k, header.Get(k))
	}
	resp, err := h.app.Test(req, 30_000)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (h *harness) token(user string) string {
	st, raw := h.do("POST", "/api/tokens", adminToken, []byte(`{"user_id":"`+user+`"}`), nil)
	if st != 201 {
		h.t.Fatalf("token: %d %s", st, raw)
	}
	var m map[string]string
	json.Unmarshal(raw, &m)
	return m["token"]
}

// pay pays order id of user through the sandbox and then replays the
// provider's callback: the same signed body twice more and a re-signed copy.
func (h *harness) pay(id, user string, amount int64, currency, txn string) {
	h.t.Helper()
	tok := h.token(user)
	st, raw := h.do("POST", "/api/orders/"+id+"/pay", tok, []byte(`{"provider":"sandbox"}`), nil)
	if st != 200 {
		h.t.Fatalf("pay: %d %s", st, raw)
	}
	var co map[string]any
	json.Unmarshal(raw, &co)
	n := sandbox.Notice{PaymentID: co["payment_id"].(string), TransactionID: txn, Status: "paid", AmountMinor: amount, Currency: currency}
	hdr, body := h.sbx.Callback(n, time.Now())
	for i := 0; i < 3; i++ {
		if st, raw := h.do("POST", "/api/payments/sandbox/callback", "", body, hdr); st != 200 {
			h.t.Fatalf("callback %d: %d %s", i, st, raw)
		}
	}
	hdr2, body2 := h.sbx.Callback(n, time.Now().Add(time.Second))
	if st, raw := h.do("POST", "/api/payments/sandbox/callback", "", body2, hdr2); st != 200 {
		h.t.Fatalf("re-signed replay: %d %s", st, raw)
	}
}

func (h *harness) notices(kind string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, x := range h.notice {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// TestGiftPaidThroughReplayedCallbackCreditedOnce: a gift order paid by a
// callback delivered four times (and its order.paid event applied again)
// is one line of the anchor's income, one leaderboard amount, one notice
// to the room and one unlock of the tipping rule it reaches.
func TestGiftPaidThroughReplayedCallbackCreditedOnce(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns)
		st := h.g.Store()
		if err := st.Put(ctx, gift.Gift{ID: "rocket", Name: "火箭", PriceMinor: 5000, Currency: "CNY", Tier: 4}); err != nil {
			t.Fatal(err)
		}
		rule, err := st.AddRule(ctx, gift.Rule{Room: "r1", ThresholdMinor: 10000, Currency: "CNY", Reward: gift.RewardPoints, Points: 88})
		if err != nil {
			t.Fatal(err)
		}
		o, err := h.g.Order(ctx, gift.Request{Room: "r1", User: "alice", SenderName: "Alice", GiftID: "rocket", Count: 2, IdemKey: "k1"})
		if err != nil {
			t.Fatal(err)
		}
		if o.AmountMinor != 10000 || o.ProductID != "gift:rocket" {
			t.Fatalf("gift order %+v", o)
		}
		// A retry of the same request is the same order.
		if again, err := h.g.Order(ctx, gift.Request{Room: "r1", User: "alice", SenderName: "Alice", GiftID: "rocket", Count: 2, IdemKey: "k1"}); err != nil || again.ID != o.ID {
			t.Fatalf("retry: %v %v", again.ID, err)
		}
		h.pay(o.ID, "alice", 10000, "CNY", "tx-gift-1")
		ledger := func() ([]gift.Sent, map[string]int64) {
			l, tot, err := st.Ledger(ctx, "r1", time.Time{}, 100)
			if err != nil {
				t.Fatal(err)
			}
			return l, tot
		}
		testenv.Eventually(t, 10*time.Second, func() bool { l, _ := ledger(); return len(l) == 1 }, "the paid gift never reached the ledger")
		// The event again (a JetStream redelivery) changes nothing.
		paid, err := h.c.Orders.Get(ctx, o.ID)
		if err != nil || paid.Status != "PAID" {
			t.Fatalf("order %v %v", paid.Status, err)
		}
		ev := paid.Event(events.OrderPaid)
		for i := 0; i < 2; i++ {
			if err := h.g.ApplyOrderEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		b.NATS.Flush()
		l, tot := ledger()
		if len(l) != 1 || tot["CNY"] != 10000 || l[0].Count != 2 || l[0].SenderName != "Alice" || l[0].Via != gift.ViaOrder {
			t.Fatalf("ledger %+v totals %v", l, tot)
		}
		board, err := st.Leaderboard(ctx, "r1", time.Time{}, 10)
		if err != nil || len(board) != 1 || board[0].AmountMinor != 10000 || board[0].SenderName != "Alice" {
			t.Fatalf("leaderboard %+v %v", board, err)
		}
		testenv.Eventually(t, 5*time.Second, func() bool { n, _ := h.w.Balance(ctx, "alice", wallet.Points); return n > 0 }, "no rule reward")
		if pts, _ := h.w.Balance(ctx, "alice", wallet.Points); pts != 88 {
			t.Fatalf("rule reward %d points, want 88 once", pts)
		}
		if un, _ := st.Unlocks(ctx, "r1", "alice"); len(un) != 1 || un[0].ID != rule.ID {
			t.Fatalf("unlocks %+v", un)
		}
		testenv.Eventually(t, 5*time.Second, func() bool { return h.notices("gift.sent") >= 1 }, "no gift.sent notice")
		b.NATS.Flush()
		if n := h.notices("gift.sent"); n != 1 {
			t.Fatalf("%d gift.sent notices, want 1", n)
		}
	})
}

// TestWalletTopUpAndGift: a top-up paid through a replayed callback
// credits the wallet once; a gift sent from it twice with one key is
// debited once; a gift beyond the balance is refused and debits nothing.
func TestWalletTopUpAndGift(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		h := newHarness(t, b, ns)
		if err := h.g.Store().Put(ctx, gift.Gift{ID: "rose", Name: "Rose", PriceMinor: 100, Currency: "CNY", Tier: 1}); err != nil {
			t.Fatal(err)
		}
		o, err := h.g.TopUp(ctx, "bob", "t1", 1000, "CNY")
		if err != nil {
			t.Fatal(err)
		}
		h.pay(o.ID, "bob", 1000, "CNY", "tx-topup-1")
		testenv.Eventually(t, 10*time.Second, func() bool { n, _ := h.w.Balance(ctx, "bob", "CNY"); return n == 1000 }, "top-up never credited")
		for i := 0; i < 2; i++ {
			if _, err := h.g.SendFromWallet(ctx, gift.Request{Room: "r1", User: "bob", GiftID: "rose", Count: 3, IdemKey: "g1"}); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := h.w.Balance(ctx, "bob", "CNY"); n != 700 {
			t.Fatalf("balance %d after one gift of 300, want 700", n)
		}
		if _, err := h.g.SendFromWallet(ctx, gift.Request{Room: "r1", User: "bob", GiftID: "rose", Count: 8, IdemKey: "g2"}); err != wallet.ErrInsufficient {
			t.Fatalf("gift beyond balance: %v", err)
		}
		if n, _ := h.w.Balance(ctx, "bob", "CNY"); n != 700 {
			t.Fatalf("refused gift debited: %d", n)
		}
		l, tot, _ := h.g.Store().Ledger(ctx, "r1", time.Time{}, 10)
		if len(l) != 1 || tot["CNY"] != 300 {
			t.Fatalf("ledger %+v %v", l, tot)
		}
	})
}
