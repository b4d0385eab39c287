package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/livesell/livesell/internal/apierr"
	"github.com/livesell/livesell/internal/auth"
)

// readiness is one named check of /readyz.
type readiness struct {
	name  string
	check func(context.Context) error
}

// ops are the node's operational endpoints (readiness, metrics), apart
// from the composer's wiring.
type ops struct{ *Server }

// mountOps serves /healthz (the process answers), /readyz (every backend
// answers and the node is not draining) and Prometheus /metrics.
//
// /metrics tells an outsider the node's load, rooms and sessions, so it is
// never public: with metrics-addr it is served on that separate listener
// only; otherwise on the public one with a bearer token — the metrics
// token, or the admin token while no metrics token is set.
func (s *Server) mountOps(r fiber.Router) error {
	op := ops{s}
	r.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	r.Get("/readyz", op.readyz)
	metrics := promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})
	if s.cfg.MetricsAddr != "" {
		return op.serveMetrics(metrics)
	}
	r.Get("/metrics", op.requireMetricsToken, adaptor.HTTPHandler(metrics))
	return nil
}

// readyz answers 200 when every check passes; otherwise 503 naming the
// components that are not ready — never their errors, which can carry
// addresses and driver detail (they go to the log).
func (s ops) readyz(c *fiber.Ctx) error {
	select {
	case <-s.draining:
		return apierr.New(apierr.CodeDraining)
	default:
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	s.mu.Lock()
	checks := slices.Clone(s.readiness)
	s.mu.Unlock()
	var down []string
	for _, rc := range checks {
		if err := rc.check(ctx); err != nil {
			var nr *notReady
			if errors.As(err, &nr) {
				down = append(down, nr.components...)
			} else {
				down = append(down, rc.name)
			}
			s.log.Warn("not ready", "component", rc.name, "err", err)
		}
	}
	if len(down) > 0 {
		return apierr.E(apierr.CodeNotReady, "not ready: %s", strings.Join(down, ", "))
	}
	return c.JSON(fiber.Map{"status": "ready", "embedded": s.back.Embedded, "payment_sandbox": s.paymentSandbox})
}

// requireMetricsToken admits the metrics token, or the admin token while
// no metrics token is configured, checked by the node's one Authenticator.
func (s ops) requireMetricsToken(c *fiber.Ctx) error {
	accept := auth.Metrics
	if s.cfg.MetricsToken == "" {
		accept = auth.Admin
	}
	if _, err := s.auth.Request(c, accept, ""); err != nil {
		if apierr.CodeOf(err) == apierr.CodeMissingToken {
			return apierr.E(apierr.CodeMissingToken, "/metrics needs Authorization: Bearer <metrics token>")
		}
		return err
	}
	return c.Next()
}

// serveMetrics listens on metrics-addr now (a busy address is a start-up
// error) and serves /metrics there, behind the metrics token if one is set,
// until the server closes.
func (s ops) serveMetrics(metrics http.Handler) error {
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("server: metrics listener %s: %w", s.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsTokenHTTP(metrics))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	s.metricsAddr = ln.Addr().String()
	s.log.Info("metrics served on a separate listener", "addr", s.metricsAddr)
	s.addCloser(func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		<-served
		return err
	})
	return nil
}

// metricsTokenHTTP guards the separate metrics listener with the metrics
// token when one is set (the listener itself is the protection otherwise).
func (s ops) metricsTokenHTTP(next http.Handler) http.Handler {
	if s.cfg.MetricsToken == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, _ := netip.ParseAddrPort(r.RemoteAddr)
		cred := auth.Credential{Token: auth.BearerToken(r.Header.Get("Authorization")), Addr: addr.Addr().Unmap()}
		if _, err := s.auth.Check(r.Context(), cred, auth.Metrics); err != nil {
			e := apierr.From(err)
			w.Header().Set("Content-Type", "application/json")
			if e.RetryAfter > 0 {
				w.Header().Set("Retry-After", e.RetryAfterHeader())
			}
			w.WriteHeader(e.Status)
			json.NewEncoder(w).Encode(e.Body())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// MetricsAddr is the address of the separate metrics listener ("" when
// /metrics is served on the public listener).
func (s *Server) MetricsAddr() string { return s.metricsAddr }

// notReady names the components a readiness check found down.
type notReady struct {
	components []string
	err        error
}

func (e *notReady) Error() string { return e.err.Error() }
func (e *notReady) Unwrap() error { return e.err }

func (s ops) backendsReady(ctx context.Context) error {
	var down []string
	var errs []error
	if err := s.back.Redis.Ping(ctx).Err(); err != nil {
		down = append(down, "redis")
		errs = append(errs, fmt.Errorf("redis: %w", err))
	}
	if err := s.back.SQL.PingContext(ctx); err != nil {
		down = append(down, "sql")
		errs = append(errs, fmt.Errorf("sql: %w", err))
	}
	if !s.back.NATS.IsConnected() {
		down = append(down, "nats")
		errs = append(errs, errors.New("nats: not connected"))
	}
	if len(down) == 0 {
		return nil
	}
	return &notReady{components: down, err: errors.Join(errs...)}
}
