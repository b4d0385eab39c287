// Command livesell is the whole live-selling server in one binary: WHIP/WHEP
// media, room interaction, commerce and the web pages, plus the load tools
// under "livesell bench".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/internal/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, config.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "livesell:", err)
		os.Exit(1)
	}
}

// benchCommands are the load tools, registered by the bench_*.go files.
var benchCommands = map[string]func(ctx context.Context, args []string, out io.Writer) error{}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr, nil)
	case "bench":
		return bench(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "livesell", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (serve, bench, version; --help lists settings)", cmd)
	}
}

// serve runs a node until ctx is done. started, when not nil, is called
// with the node once it listens (tests drive a node's internals through it).
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, started func(*server.Server)) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		srv.Close(context.Background())
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	if cfg.AdminToken == "" {
		log.Info("admin token generated", "file", cfg.DataDir+"/admin-token")
	}
	if started != nil {
		started(srv)
	}
	return srv.Serve(ctx, ln)
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	names := make([]string, 0, len(benchCommands))
	for n := range benchCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "usage: livesell bench %s [flags]\n", strings.Join(names, "|"))
		if len(args) == 0 {
			return errors.New("bench: which load tool?")
		}
		return nil
	}
	fn, ok := benchCommands[args[0]]
	if !ok {
		return fmt.Errorf("bench: unknown load tool %q (have %s)", args[0], strings.Join(names, ", "))
	}
	return fn(ctx, args[1:], stdout)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
