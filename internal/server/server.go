// Package server composes livesell's capabilities — media (sfu + signaling),
// interaction, commerce and the web pages — into one Fiber application on one
// listener, with the operational endpoints, and shuts it all down in order.
//
// Each capability is mounted by its own file (media.go, interaction.go,
// commerce.go, web.go) so that one reason to change stays in one place.
package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/livesell/livesell/sfu"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/commerce/presale"
	"github.com/livesell/livesell/commerce/reminder"
	"github.com/livesell/livesell/internal/apidoc"
	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/events"
	"github.com/livesell/livesell/signaling"
	"github.com/livesell/livesell/signaling/room"
)

// Server is one livesell node.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	back     *backend.Backends
	app      *fiber.App
	metrics  *prometheus.Registry
	secrets  Secrets
	users    *auth.Verifier
	auth     *auth.Authenticator // the one check of every credential
	draining chan struct{}       // closed when the node drains (drain.go)
	// drainOnce closes draining.
	drainOnce sync.Once
	engine    *sfu.Engine        // the media plane, set by mountMedia
	media     *signaling.Service // WHIP/WHEP, set by mountMedia (its drain)

	// rooms is the one room store; every capability reads rooms from it.
	rooms *room.Store
	// admission is the ticket check of media and interaction (access.go);
	// revokers end a user's sessions when a ticket is revoked.
	admission auth.Tickets
	revokers  []viewerRevoker

	mu        sync.Mutex
	closers   []func(context.Context) error // run in reverse order on Close
	readiness []readiness                   // all must pass for /readyz

	// reminders plans and sends reminders (mountReminders); presale plans
	// its balance-due reminders through it.
	reminders *reminder.Scheduler
	commerce  *commerce.Commerce // live goods and orders (mountCommerce), which presale sells tickets through
	passes    *presale.Passes    // the ticket check (presale.go), built before interaction and media
	// audience carries what viewers do (mountInteraction) to the
	// after-show report and the games: in-process on one node, NATS on several.
	audience events.AudienceFeed

	paymentSandbox bool   // the sandbox provider runs (mountCommerce)
	metricsAddr    string // the separate metrics listener, if any
}

// New opens the backends and mounts every capability. The caller must Close it.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (s *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("server: config: %w", err)
	}
	secrets, err := loadSecrets(cfg)
	if err != nil {
		return nil, err
	}
	s = &Server{
		cfg:      cfg,
		log:      log,
		metrics:  prometheus.NewRegistry(),
		secrets:  secrets,
		users:    auth.NewVerifier([]byte(secrets.JWTSecret), cfg.Auth.JWKSURL, auth.WithIssuer(cfg.Auth.JWTIssuer, cfg.Auth.JWTAudience)),
		draining: make(chan struct{}),
	}
	// Every "return nil, err" below sets s to nil: close the node built so
	// far through its own variable.
	built := s
	defer func() {
		if err != nil {
			built.Close(context.Background())
		}
	}()
	s.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	s.back, err = backend.Open(ctx, backend.Options{
		RedisURL:    cfg.Store.RedisURL,
		DatabaseURL: cfg.Store.DatabaseURL,
		NATSURL:     cfg.Store.NATSURL,
		DataDir:     cfg.DataDir,
		Logger:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s.addCloser(func(context.Context) error { return s.back.Close() })
	s.addReadiness("backends", ops{s}.backendsReady)
	if s.rooms, err = room.NewStore(ctx, s.back.SQL); err != nil {
		return nil, fmt.Errorf("server: rooms: %w", err)
	}
	s.auth = auth.New(auth.Options{AdminToken: secrets.AdminToken, MetricsToken: cfg.MetricsToken, NodeSecret: cfg.Media.NodeSecret, GrantSecret: secrets.AdminToken, Users: s.users, PushKeys: s.rooms, Logger: log.With("component", "auth")})
	trusted, err := auth.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("server: config: %w", err)
	}

	fcfg := fiber.Config{
		AppName:               "livesell",
		DisableStartupMessage: true,
		ErrorHandler:          apierr.FiberHandler(log),
		BodyLimit:             1 << 20,
		// Strings from c.Params, c.Query and c.Body stay valid after the
		// handler returns: handlers hand them to goroutines (sessions,
		// hubs, outboxes), and fasthttp would otherwise reuse the bytes.
		Immutable:    true,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	s.app = fiber.New(fcfg)
	// Behind reverse proxies, per-address limits must see the client's
	// address: the right-most X-Forwarded-For hop that is not a trusted
	// proxy (auth.ClientAddr), never Fiber's raw header.
	s.app.Use(auth.ClientAddrs(trusted))
	s.app.Use(cors.New(cors.Config{
		AllowOrigins:  strings.Join(cfg.CORSOrigins, ","),
		AllowMethods:  "GET,POST,PATCH,PUT,DELETE,OPTIONS,HEAD",
		AllowHeaders:  "Authorization,Content-Type,If-Match,Idempotency-Key",
		ExposeHeaders: "Location,ETag,Link,Accept-Patch,Accept-Post,Retry-After,Content-Type,Livesell-Room-State",
		MaxAge:        3600,
	}))
	if err := s.mountOps(s.app); err != nil {
		return nil, err
	}
	apidoc.Mount(s.app) // GET /api/openapi.json: the whole API, kept true by openapi_test.go
	// The capabilities, in this order: media tells interaction about
	// viewers, data channels and live changes (its RoomEvents), so
	// interaction comes first.
	if s.passes, err = s.openPasses(ctx); err != nil {
		return nil, err
	}
	s.admission = admissionOf(s.passes)
	events, err := s.mountInteraction(ctx, s.app)
	if err != nil {
		return nil, fmt.Errorf("server: mount interaction: %w", err)
	}
	if err := s.mountMedia(ctx, s.app, events); err != nil {
		return nil, fmt.Errorf("server: mount media: %w", err)
	}
	s.watchEntitlements(s.passes, s.revokers...)
	if err := s.mountCommerce(ctx, s.app); err != nil {
		return nil, fmt.Errorf("server: mount commerce: %w", err)
	}
	if err := s.mountReminders(ctx, s.app); err != nil {
		return nil, fmt.Errorf("server: mount reminders: %w", err)
	}
	if err := s.mountPresale(ctx, s.app); err != nil {
		return nil, err
	}
	if err := s.mountReview(ctx, s.app); err != nil {
		return nil, fmt.Errorf("server: mount review: %w", err)
	}
	drainer{s}.mount(s.app)
	if err := s.mountWeb(ctx, s.app); err != nil {
		return nil, fmt.Errorf("server: mount web: %w", err)
	}
	s.app.Use(func(c *fiber.Ctx) error {
		return apierr.E(apierr.CodeNotFound, "no such endpoint: %s %s", c.Method(), c.Path())
	})
	return s, nil
}

// App is the Fiber application, for in-process tests (app.Test).
func (s *Server) App() *fiber.App { return s.app }

// AdminToken is the operator's bearer token (configured or generated).
func (s *Server) AdminToken() string { return s.secrets.AdminToken }

// Users verifies and mints user tokens.
func (s *Server) Users() *auth.Verifier { return s.users }

// Backends are the open stores.
func (s *Server) Backends() *backend.Backends { return s.back }

// Serve answers on ln until ctx is done, then shuts down gracefully within
// the configured grace period.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	s.log.Info("livesell serving", "addr", ln.Addr().String(), "embedded", s.back.Embedded, "payment_sandbox", s.paymentSandbox)
	if s.paymentSandbox {
		s.log.Warn("payment sandbox is on: anyone can pay for orders without money (payment-sandbox=on)")
	}
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	// Drain first (readyz fails, viewers move to other nodes), then stop.
	dctx, dcancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout+s.cfg.ShutdownGrace)
	if err := (drainer{s}).drain(dctx); err != nil {
		s.log.Warn("drain did not finish", "err", err)
	}
	dcancel()
	grace, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace)
	err := s.app.ShutdownWithContext(grace)
	return errors.Join(err, s.Close(grace))
}

// Close ends every session and closes every store, in reverse order of
// start. It is safe on a nil *Server.
func (s *Server) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	s.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) addCloser(fn func(context.Context) error) {
	s.mu.Lock()
	s.closers = append(s.closers, fn)
	s.mu.Unlock()
}

func (s *Server) addReadiness(name string, fn func(context.Context) error) {
	s.mu.Lock()
	s.readiness = append(s.readiness, readiness{name: name, check: fn})
	s.mu.Unlock()
}
