// Package testnode starts whole livesell nodes for end-to-end tests: a
// server.New node serving on a free loopback port, stopped (and checked to
// stop) when the test ends.
package testnode

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
)

// Config is the default configuration for a test node: embedded stores in
// a temporary data dir, ICE and HTTP on loopback only.
func Config(t testing.TB) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Media.ICEInterfaces = []string{"lo"}
	return cfg
}

// Start builds a node from cfg and serves it on cfg.HTTPAddr (which should
// be a loopback address) until the test ends; it returns the node and its
// base URL.
func Start(t testing.TB, cfg config.Config, log *slog.Logger) (*server.Server, string) {
	t.Helper()
	srv, err := server.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("testnode: server.New: %v", err)
	}
	base, stop, err := srv.Start(cfg.HTTPAddr, 20*time.Second)
	if err != nil {
		t.Fatalf("testnode: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("testnode: %v", err)
		}
	})
	return srv, base
}
