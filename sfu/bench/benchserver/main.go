// Command benchserver runs an sfu.Engine behind bench.NewHandler, so that
// `livesell bench media --server-pid` can measure the media plane's CPU in
// a process of its own:
//
//	go run ./sfu/bench/benchserver -addr 127.0.0.1:8089 &
//	... RunMedia(ctx, bench.MediaOptions{Server: "http://127.0.0.1:8089", ServerPID: pid}, os.Stdout)
package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/livesell/livesell/sfu"
	"github.com/livesell/livesell/sfu/bench"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "HTTP listen address")
	iface := flag.String("iface", "lo", "ICE interface")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *pprofAddr != "" {
		go func() { _ = http.ListenAndServe(*pprofAddr, nil) }() //nolint:gosec // debug only
	}
	reg := prometheus.NewRegistry()
	eng, err := sfu.NewEngine(sfu.Config{ICEInterfaces: []string{*iface}, Logger: log, Metrics: reg})
	if err != nil {
		log.Error("engine", "err", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.Handle("/", bench.NewHandler(eng))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Error("serve", "err", err)
	}
	_ = eng.Close()
}
