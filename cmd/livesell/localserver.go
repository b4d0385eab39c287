package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
)

// localServer starts a whole livesell node in this process for a load tool
// run without --server: embedded stores in a temporary data dir, ICE and
// HTTP on loopback only. It returns the base URL, the admin token and a stop
// function.
func localServer(ctx context.Context, log *slog.Logger) (url, adminToken string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "livesell-bench-")
	if err != nil {
		return "", "", nil, err
	}
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Media.ICEInterfaces = []string{"lo"}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, fmt.Errorf("local server: %w", err)
	}
	url, stopServer, err := srv.Start(cfg.HTTPAddr, cfg.ShutdownGrace+5*time.Second)
	if err != nil {
		os.RemoveAll(dir)
		return "", "", nil, fmt.Errorf("local server: %w", err)
	}
	stop = func() {
		if err := stopServer(); err != nil {
			log.Warn("local server did not stop cleanly", "err", err)
		}
		os.RemoveAll(dir)
	}
	return url, srv.AdminToken(), stop, nil
}
