package presale_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// countingProvider is the sandbox that counts refunds (whole and part).
type countingProvider struct {
	*sandbox.Provider
	mu      sync.Mutex
	refunds []payment.Refund
}

func (p *countingProvider) Refund(ctx context.Context, r payment.Refund) error {
	p.mu.Lock()
	p.refunds = append(p.refunds, r)
	p.mu.Unlock()
	return nil
}

func (p *countingProvider) refundsOf(order string) []payment.Refund {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []payment.Refund
	for _, r := range p.refunds {
		if r.OrderID == order {
			out = append(out, r)
		}
	}
	return out
}

// node is one livesell node's presale: its own order service and Service
// over the shared stores.
type node struct {
	orders *order.Service
	svc    *presale.Service
	passes *presale.Passes
}

// reminders records what the presale asks the reminder scheduler.
type reminders struct {
	mu      sync.Mutex
	planned []presale.Reminder
	dropped []string // "room/user/kind"
}

func (r *reminders) Plan(_ context.Context, jobs ...presale.Reminder) error {
	r.mu.Lock()
	r.planned = append(r.planned, jobs...)
	r.mu.Unlock()
	return nil
}

func (r *reminders) Cancel(_ context.Context, room, user, kind string) error {
	r.mu.Lock()
	r.dropped = append(r.dropped, room+"/"+user+"/"+kind)
	r.mu.Unlock()
	return nil
}

func (r *reminders) kinds(user string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, j := range r.planned {
		if j.UserID == user {
			out = append(out, j.Kind)
		}
	}
	return out
}

type env struct {
	rem   *reminders
	b     *backend.Backends
	ns    string
	pay   *countingProvider
	nodes []*node
	txn   atomic.Int64
	clock atomic.Pointer[time.Time]
}

func newEnv(t testing.TB, b *backend.Backends, ns string, nodes int) *env {
	t.Helper()
	ctx := context.Background()
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		t.Fatal(err)
	}
	e := &env{b: b, ns: ns, pay: &countingProvider{Provider: sandbox.New("s3cret", time.Minute)}, rem: &reminders{}}
	now := time.Now().UTC()
	e.clock.Store(&now)
	for range nodes {
		e.nodes = append(e.nodes, e.newNode(t))
	}
	return e
}

func (e *env) now() time.Time { return *e.clock.Load() }

func (e *env) advance(d time.Duration) {
	t := e.now().Add(d)
	e.clock.Store(&t)
}

func (e *env) newNode(t testing.TB) *node {
	t.Helper()
	ctx := context.Background()
	st, err := stock.New(ctx, e.b.Redis, e.ns)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.NewCache(catalog.NewStore(e.b.SQL), time.Second)
	orders := order.NewService(order.NewStore(e.b.SQL, nil), st, cat, []payment.Provider{e.pay}, order.Options{Log: testenv.Logger(t)})
	passes, err := presale.NewPasses(ctx, e.b, e.ns, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(passes.Close)
	svc, err := presale.New(ctx, e.b, e.ns, orders, passes, presale.Options{Log: testenv.Logger(t), Now: e.now, PublicURL: "http://127.0.0.1:8080", Reminders: e.rem})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Relay().Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &node{orders: orders, svc: svc, passes: passes}
}

// put stores an offer for room through node 0.
func (e *env) put(t testing.TB, o presale.Offer) presale.Offer {
	t.Helper()
	out, err := e.nodes[0].svc.PutOffer(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// paid starts a sandbox payment of o on n and applies its signed notice.
func (e *env) paid(t *testing.T, n *node, o order.Order) order.Order {
	t.Helper()
	ctx := context.Background()
	co, err := n.orders.Payments.Pay(ctx, o.ID, o.UserID, false, "sandbox", "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	got, oc, err := n.orders.Payments.ApplyNotice(ctx, payment.Notice{Provider: "sandbox", PaymentID: co.PaymentID,
		TransactionID: "tx-" + o.ID, Paid: true, AmountMinor: o.AmountMinor, Currency: o.Currency})
	if err != nil || (oc != order.OutcomePaid && oc != order.OutcomePaidLate) {
		t.Fatalf("pay %s: outcome %s err %v", o.ID, oc, err)
	}
	return got
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.b.SQL.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// show is an offer starting in two days with the given tiers.
func (e *env) show(room string, tiers ...presale.Tier) presale.Offer {
	return presale.Offer{Room: room, Title: "Launch", StartsAt: e.now().Add(48 * time.Hour), Currency: "CNY", Tiers: tiers}
}

func (e *env) view(t *testing.T, room string) presale.OfferView {
	t.Helper()
	v, err := e.nodes[0].svc.View(context.Background(), room)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func paidNotice(paymentID string, o order.Order) payment.Notice {
	return payment.Notice{Provider: "sandbox", PaymentID: paymentID, TransactionID: "tx-" + o.ID, Paid: true, AmountMinor: o.AmountMinor, Currency: o.Currency}
}
