// Package testenv gives tests the real services of this machine and CI —
// PostgreSQL, Redis and NATS with JetStream on 127.0.0.1 — each isolated per
// test (a fresh PostgreSQL schema, a unique namespace for Redis keys, NATS
// subjects and streams), and the embedded defaults, so that a test can run
// the same assertions on both paths with Backends.
//
// A real service that is down fails the test: .ci/run starts them, and a
// skipped check would hide a broken path.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
)

// Default addresses of the real services; each can be overridden by the
// environment variable of the same meaning with a LIVESELL_TEST_ prefix.
const (
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultRedis    = "redis://127.0.0.1:6379/0"
	defaultNATS     = "nats://127.0.0.1:4222"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Namespace returns a unique prefix for Redis keys, NATS subjects and
// stream names (letters and digits only, valid in all three).
func Namespace(t testing.TB) string {
	var b [6]byte
	rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// RedisURL is the real Redis of this machine.
func RedisURL() string { return env("LIVESELL_TEST_REDIS_URL", defaultRedis) }

// NATSURL is the real NATS (with JetStream) of this machine.
func NATSURL() string { return env("LIVESELL_TEST_NATS_URL", defaultNATS) }

// PostgresURL creates a fresh schema in the real PostgreSQL test database and
// returns a URL whose connections use it; the schema is dropped when the test
// ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := env("LIVESELL_TEST_DATABASE_URL", defaultPostgres)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("testenv: postgres: %v", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("testenv: PostgreSQL at %s is not reachable (start it with .ci/run's service step): %v", base, err)
	}
	schema := Namespace(t)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testenv: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: postgres url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Kind names a backend path.
type Kind string

// The two paths every storage test runs on.
const (
	Embedded Kind = "embedded"
	Real     Kind = "real"
)

// Backends opens either the embedded defaults (in a temporary data dir) or
// the real services (with a fresh schema); it is closed when the test ends.
func Backends(t testing.TB, kind Kind) *backend.Backends {
	t.Helper()
	opts := backend.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	if kind == Real {
		opts.RedisURL = RedisURL()
		opts.DatabaseURL = PostgresURL(t)
		opts.NATSURL = NATSURL()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := backend.Open(ctx, opts)
	if err != nil {
		t.Fatalf("testenv: %s backends: %v", kind, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Each runs fn as two subtests, on the embedded backends and on the real
// services, with a fresh namespace each.
func Each(t *testing.T, fn func(t *testing.T, b *backend.Backends, namespace string)) {
	for _, kind := range []Kind{Embedded, Real} {
		t.Run(string(kind), func(t *testing.T) {
			fn(t, Backends(t, kind), Namespace(t))
		})
	}
}

// Logger is a slog.Logger that writes through t.Log (shown when the test
// fails or with -v) until the test ends, and drops what goroutines that
// outlive the test log later (Pion callbacks may), instead of crashing the
// test binary. The level is debug unless LIVESELL_TEST_LOG names another.
func Logger(t testing.TB) *slog.Logger {
	w := &guardedWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	level := slog.LevelDebug
	if v := os.Getenv("LIVESELL_TEST_LOG"); v != "" {
		level.UnmarshalText([]byte(v))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type guardedWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *guardedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// Eventually polls cond every 10 ms until it is true or timeout passes,
// then fails the test with msg.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !cond() {
		t.Fatalf("timed out after %s: %s", timeout, fmt.Sprintf(msg, args...))
	}
}
