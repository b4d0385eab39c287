// Package commerce is livesell's live-goods capability: products bound to
// rooms and presented live, stock in Redis changed only by Lua scripts,
// orders in SQL with expiry and reconciliation, pluggable payment providers
// with verified callbacks, an outbox of order events relayed to JetStream,
// and user tags. New composes it over the shared backends; Mount registers
// its routes; Close stops its goroutines.
package commerce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livesell/livesell/commerce/api"
	"github.com/livesell/livesell/commerce/catalog"
	"github.com/livesell/livesell/commerce/images"
	"github.com/livesell/livesell/commerce/marketing/coupon"
	"github.com/livesell/livesell/commerce/marketing/notice"
	"github.com/livesell/livesell/commerce/marketing/risk"
	"github.com/livesell/livesell/commerce/order"
	"github.com/livesell/livesell/commerce/outbox"
	"github.com/livesell/livesell/commerce/payment"
	"github.com/livesell/livesell/commerce/payment/sandbox"
	"github.com/livesell/livesell/commerce/payment/stripe"
	"github.com/livesell/livesell/commerce/payment/wechatpay"
	"github.com/livesell/livesell/commerce/schema"
	"github.com/livesell/livesell/commerce/stock"
	"github.com/livesell/livesell/commerce/tags"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
)

// Options configure the capability.
type Options struct {
	Backends  *backend.Backends
	Namespace string
	Config    config.CommerceConfig
	// Auth checks every credential (the server's one Authenticator); nil
	// builds one over AdminToken and Users without push keys (tools, tests).
	Auth       *auth.Authenticator
	AdminToken string
	// Users and TokenTTL mint user tokens.
	Users    *auth.Verifier
	TokenTTL time.Duration
	// SandboxSecret signs sandbox callbacks; Sandbox enables that provider
	// (a "payment" without money: on only when the operator asks for it).
	SandboxSecret string
	Sandbox       bool
	// Rooms tells private rooms apart (nil: every room is public).
	Rooms api.RoomInfo
	// ClientAddr is a request's client address (nil: auth.ClientAddr).
	ClientAddr func(c *fiber.Ctx) string
	PublicURL  string
	// Images keeps uploaded product images (images.Open: the data
	// directory or an S3-compatible store); nil refuses uploads.
	Images images.Store
	// SweepEvery is how often unpaid orders are expired (default 1 s).
	SweepEvery time.Duration
	// Tickets tells ticket holders, for coupons kept to them (nil: none).
	Tickets auth.Tickets
	// Risk is the shop's veto on coupon claims (nil: none; risk.Webhook).
	Risk risk.Hook
	// AfterReserve is a test hook (see order.Options).
	AfterReserve func(ctx context.Context, orderID string) error
	Log          *slog.Logger
}

// Commerce is the running capability.
type Commerce struct {
	Catalog *catalog.Store
	Cards   *catalog.Cards
	Stock   *stock.Store
	Orders  *order.Service
	Relay   *outbox.Relay
	Tags    *tags.Store
	Sandbox *sandbox.Provider
	// Coupons are the live coupons (commerce/marketing/coupon).
	Coupons *coupon.Service

	handler *api.Handler
	coupons *coupon.HTTP
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stops   []func()
	log     *slog.Logger
}

// New migrates the schema, loads the scripts, reconciles Redis from SQL and
// starts the relay, the card publisher, the sweeper, the reconciler and the
// tag consumer.
func New(ctx context.Context, o Options) (*Commerce, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	log := o.Log.With("component", "commerce")
	if err := checkSecrets(o); err != nil {
		return nil, err
	}
	b := o.Backends
	if err := schema.Migrate(ctx, b.SQL); err != nil {
		return nil, err
	}
	st, err := stock.New(ctx, b.Redis, o.Namespace)
	if err != nil {
		return nil, err
	}
	c := &Commerce{Catalog: catalog.NewStore(b.SQL), Stock: st, Tags: tags.NewStore(b.SQL), log: log}
	if c.Relay, err = outbox.NewRelay(ctx, b.SQL, b.JetStream, o.Namespace, time.Second, log); err != nil {
		return nil, err
	}
	if c.Cards, err = catalog.NewCards(ctx, b.JetStream, o.Namespace, c.Catalog, st, 500*time.Millisecond, log); err != nil {
		return nil, err
	}
	providers, err := providersFrom(o, log)
	if err != nil {
		return nil, err
	}
	for _, p := range providers {
		if sp, ok := p.(*sandbox.Provider); ok {
			c.Sandbox = sp
			log.Warn("the sandbox payment provider is ON: anyone may \"pay\" without money (payment-sandbox=on); never in production")
		}
	}
	cache := catalog.NewCache(c.Catalog, time.Second)
	lim := limitsOf(o.Config)
	notices, err := notice.New(ctx, b.JetStream, o.Namespace)
	if err != nil {
		return nil, err
	}
	if c.Coupons, err = coupon.New(ctx, coupon.Options{DB: b.SQL, Redis: b.Redis, NS: o.Namespace, Notices: notices, Tickets: o.Tickets, Tags: c.Tags, Risk: o.Risk,
		Rates: coupon.Rates{PerUser: CouponClaimsPerUser, PerAddr: CouponClaimsPerAddr, Window: time.Second}, Log: log}); err != nil {
		return nil, err
	}
	c.Orders = order.NewService(order.NewStore(b.SQL, c.Relay.Kick), st, cache, providers, order.Options{
		TTL: o.Config.OrderTTL, LiveTTL: lim.LiveOrderTTL, UnpaidPerUser: lim.MaxUnpaidPerUser, UnpaidPerAddr: lim.MaxUnpaidPerAddress,
		Grace: grace(o.Config), StockChanged: c.Cards.StockChanged, AfterReserve: o.AfterReserve, Discounts: c.Coupons, Log: log,
	})
	if rep, err := c.Orders.Maintenance.Reconcile(ctx, time.Now()); err != nil {
		return nil, fmt.Errorf("commerce: reconcile on start: %w", err)
	} else if rep != (order.Report{}) {
		log.Info("reconciled stock on start", "report", rep)
	}
	c.handler = api.New(api.Deps{
		Catalog: c.Catalog, Cache: cache, Cards: c.Cards, Stock: st, Orders: c.Orders, Tags: c.Tags, Sandbox: c.Sandbox,
		Auth: guard(o, log), LiveMaxDiscount: lim.LiveMaxDiscount, Users: o.Users, TokenTTL: o.TokenTTL, Rooms: o.Rooms, ClientAddr: o.ClientAddr,
		PublicURL: o.PublicURL, Images: o.Images, Log: log,
	})
	c.coupons = couponHTTP(c.Coupons, guard(o, log), o)

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	sweepEvery := o.SweepEvery
	if sweepEvery <= 0 {
		sweepEvery = time.Second
	}
	reconcileEvery := o.Config.ReconcileInterval
	if reconcileEvery <= 0 {
		reconcileEvery = time.Minute
	}
	c.goRun(func() { c.Relay.Run(runCtx) })
	c.goRun(func() { c.Cards.Run(runCtx) })
	c.goRun(func() { c.Orders.Maintenance.RunSweeper(runCtx, sweepEvery) })
	c.goRun(func() { c.Orders.Maintenance.RunReconciler(runCtx, reconcileEvery) })
	c.goRun(func() { c.Relay.RunPruner(runCtx, lim.OutboxRetention, pruneEvery(lim.OutboxRetention)) })
	c.goRun(func() { c.Coupons.RunRepair(runCtx, reconcileEvery, 2*grace(o.Config)) })
	stop, err := tags.NewConsumer(c.Tags, b.NATS, b.JetStream, o.Namespace, log).Start(runCtx)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	c.stops = append(c.stops, stop)
	if stop, err = c.Coupons.Consume(runCtx, b.JetStream); err != nil {
		c.Close(ctx)
		return nil, err
	}
	c.stops = append(c.stops, stop)
	return c, nil
}

// guard is o's Authenticator, or one over its admin token and users.
func guard(o Options, log *slog.Logger) *auth.Authenticator {
	if o.Auth != nil {
		return o.Auth
	}
	return auth.New(auth.Options{AdminToken: o.AdminToken, Users: o.Users, Logger: log})
}

// grace is how long a reservation without an order row is left alone.
func grace(cfg config.CommerceConfig) time.Duration {
	g := 30 * time.Second
	if cfg.ReconcileInterval > 0 && cfg.ReconcileInterval < g {
		g = cfg.ReconcileInterval
	}
	return g
}

func (c *Commerce) goRun(fn func()) {
	c.wg.Add(1)
	go func() { defer c.wg.Done(); fn() }()
}

// SandboxOn reports whether the sandbox provider (payments without money)
// is enabled, for the readiness report.
func (c *Commerce) SandboxOn() bool { return c.Sandbox != nil }

// Providers lists the enabled payment providers.
func (c *Commerce) Providers() []string { return c.Orders.Providers() }

// Mount registers the commerce routes on r.
func (c *Commerce) Mount(r fiber.Router) {
	c.handler.Mount(r)
	c.coupons.Mount(r)
}

// Close stops every goroutine of the capability and waits for them.
func (c *Commerce) Close(ctx context.Context) error {
	if c.cancel != nil {
		c.cancel()
	}
	for _, stop := range c.stops {
		stop()
	}
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("commerce: close: %w", ctx.Err())
	}
}

func providersFrom(o Options, log *slog.Logger) ([]payment.Provider, error) {
	cfg := o.Config
	window := cfg.CallbackWindow
	if window <= 0 {
		window = 5 * time.Minute
	}
	var out []payment.Provider
	if o.Sandbox {
		if o.SandboxSecret == "" {
			return nil, errors.New("commerce: the sandbox provider needs a secret")
		}
		out = append(out, sandbox.New(o.SandboxSecret, window))
	}
	if cfg.StripeSecretKey != "" {
		if cfg.StripeWebhookKey == "" {
			return nil, errors.New("commerce: stripe needs the webhook signing secret (stripe-webhook-secret)")
		}
		out = append(out, stripe.New(stripe.Options{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookKey, Window: window}))
	}
	if cfg.WeChatMchID != "" || cfg.WeChatAppID != "" {
		wo := wechatpay.Options{AppID: cfg.WeChatAppID, MchID: cfg.WeChatMchID, APIv3Key: cfg.WeChatAPIv3Key, SerialNo: cfg.WeChatSerialNo, Window: window}
		if cfg.WeChatPlatformCert != "" {
			raw, err := os.ReadFile(cfg.WeChatPlatformCert)
			if err != nil {
				return nil, fmt.Errorf("commerce: wechat platform certificate: %w", err)
			}
			if wo.PlatformCert, err = wechatpay.ParseCertificate(raw); err != nil {
				return nil, err
			}
		}
		if cfg.WeChatPrivateKey != "" {
			raw, err := os.ReadFile(cfg.WeChatPrivateKey)
			if err != nil {
				return nil, fmt.Errorf("commerce: wechat private key: %w", err)
			}
			if wo.PrivateKey, err = wechatpay.ParsePrivateKey(raw); err != nil {
				return nil, err
			}
		}
		wp, err := wechatpay.New(wo)
		if err != nil {
			return nil, err
		}
		out = append(out, wp)
	}
	names := make([]string, 0, len(out))
	for _, p := range out {
		names = append(names, p.Name())
	}
	log.Info("payment providers", "providers", names)
	return out, nil
}
