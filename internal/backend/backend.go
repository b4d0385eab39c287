// Package backend opens the three outside services livesell runs on — Redis,
// the SQL store and NATS with JetStream — either the real servers named by
// URLs or, with no URL, embedded stand-ins in this process: miniredis (which
// runs the same Lua scripts), SQLite in the data directory, and an in-process
// NATS server with JetStream. Everything above this package sees the same
// client types either way.
package backend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/alicebob/miniredis/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/sqldb"
)

// Options names the real services; an empty URL selects the embedded one.
type Options struct {
	RedisURL    string
	DatabaseURL string
	NATSURL     string
	// DataDir holds the embedded SQLite file and JetStream store.
	DataDir string
	// ConnectTimeout bounds the first contact with each real service; 0
	// means 10s. A service that does not answer in time is a start-up error.
	ConnectTimeout time.Duration
	Logger         *slog.Logger
}

// Backends are the open clients.
type Backends struct {
	// Redis is the stock and presence store.
	Redis redis.UniversalClient
	// SQL is the durable store.
	SQL *sqldb.DB
	// NATS is the event bus.
	NATS *nats.Conn
	// JetStream is NATS's persistence layer.
	JetStream jetstream.JetStream
	// Embedded lists which services run in this process ("redis", "sql", "nats").
	Embedded []string

	closers []func() error
}

// Open connects to (or starts) every backend. On error, whatever was opened
// is closed again and the error names the service that failed.
func Open(ctx context.Context, opts Options) (*Backends, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	b := &Backends{}
	for _, open := range []func(context.Context, Options, *slog.Logger) error{b.openRedis, b.openSQL, b.openNATS} {
		octx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
		err := open(octx, opts, log)
		cancel()
		if err != nil {
			if cerr := b.Close(); cerr != nil {
				log.Warn("closing the backends opened so far", "err", cerr)
			}
			return nil, err
		}
	}
	return b, nil
}

func (b *Backends) openRedis(ctx context.Context, opts Options, log *slog.Logger) error {
	if opts.RedisURL == "" {
		// The embedded store listens on loopback, where any local process
		// could reach it: it requires a password generated at each start and
		// written 0600 into the data directory (for redis-cli -a when
		// debugging).
		password, err := newRedisPassword(opts.DataDir)
		if err != nil {
			return fmt.Errorf("backend: embedded redis: %w", err)
		}
		mr := miniredis.NewMiniRedis()
		mr.RequireAuth(password)
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("backend: embedded redis: %w", err)
		}
		stopClock := runClock(mr)
		b.closers = append(b.closers, func() error { stopClock(); mr.Close(); return nil })
		b.Embedded = append(b.Embedded, "redis")
		b.Redis = redis.NewClient(&redis.Options{Addr: mr.Addr(), Password: password, PoolSize: 64})
		log.Info("embedded redis-compatible store started", "addr", mr.Addr(), "password_file", filepath.Join(opts.DataDir, RedisPasswordFile))
	} else {
		ropts, err := redis.ParseURL(opts.RedisURL)
		if err != nil {
			return fmt.Errorf("backend: REDIS_URL: %w", err)
		}
		if ropts.PoolSize < 64 {
			ropts.PoolSize = 64
		}
		b.Redis = redis.NewClient(ropts)
	}
	b.closers = append(b.closers, b.Redis.Close)
	if err := b.Redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("backend: redis unreachable (REDIS_URL): %w", err)
	}
	return nil
}

// RedisPasswordFile is the file in the data directory that holds the
// embedded Redis-compatible store's password (mode 0600).
const RedisPasswordFile = "redis-password"

// newRedisPassword generates the embedded store's password and writes it to
// dir/RedisPasswordFile, readable by this user only.
func newRedisPassword(dir string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	password := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, RedisPasswordFile)
	// Remove first: WriteFile keeps the mode of an existing file.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return "", err
	}
	return password, nil
}

func (b *Backends) openSQL(ctx context.Context, opts Options, log *slog.Logger) error {
	db, err := sqldb.Open(ctx, opts.DatabaseURL, opts.DataDir)
	if err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	b.SQL = db
	b.closers = append(b.closers, db.Close)
	if db.Dialect == sqldb.SQLite {
		b.Embedded = append(b.Embedded, "sql")
		log.Info("embedded SQL store opened", "dir", opts.DataDir)
	}
	return nil
}

func (b *Backends) openNATS(ctx context.Context, opts Options, log *slog.Logger) error {
	var nc *nats.Conn
	if opts.NATSURL == "" {
		storeDir := filepath.Join(opts.DataDir, "nats")
		if err := os.MkdirAll(storeDir, 0o700); err != nil {
			return fmt.Errorf("backend: embedded nats: %w", err)
		}
		ns, err := natsserver.NewServer(&natsserver.Options{
			ServerName: "livesell-embedded",
			DontListen: true,
			JetStream:  true,
			StoreDir:   storeDir,
			NoSigs:     true,
			NoLog:      true,
		})
		if err != nil {
			return fmt.Errorf("backend: embedded nats: %w", err)
		}
		ns.Start()
		b.closers = append(b.closers, func() error { ns.Shutdown(); ns.WaitForShutdown(); return nil })
		if !ns.ReadyForConnections(10 * time.Second) {
			return errors.New("backend: embedded nats did not start")
		}
		nc, err = nats.Connect("", nats.InProcessServer(ns), nats.Name("livesell"))
		if err != nil {
			return fmt.Errorf("backend: embedded nats connect: %w", err)
		}
		b.Embedded = append(b.Embedded, "nats")
		log.Info("embedded NATS server started", "store", storeDir)
	} else {
		var err error
		timeout := 10 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		nc, err = nats.Connect(opts.NATSURL, nats.Name("livesell"), nats.MaxReconnects(-1), nats.Timeout(timeout))
		if err != nil {
			return fmt.Errorf("backend: nats unreachable (NATS_URL): %w", err)
		}
	}
	b.NATS = nc
	b.closers = append(b.closers, func() error { return drain(nc) })
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("backend: jetstream: %w", err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("backend: jetstream not available: %w", err)
	}
	b.JetStream = js
	return nil
}

// Close closes every backend in reverse order of opening. It is safe on a
// nil *Backends and after a failed Open.
func (b *Backends) Close() error {
	if b == nil {
		return nil
	}
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		if err := b.closers[i](); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, err)
		}
	}
	b.closers = nil
	return errors.Join(errs...)
}

// drain flushes what nc still has to send and waits (briefly) until it is closed.
func drain(nc *nats.Conn) error {
	if err := nc.Drain(); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second)
	for !nc.IsClosed() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// runClock makes the embedded store's TTLs count down in real time:
// miniredis expires keys only when its clock is moved, so presence
// heartbeats, idempotency markers and room claims would otherwise live
// forever. It returns the function that stops the clock.
func runClock(mr *miniredis.Miniredis) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return func() { close(done); <-finished }
}
