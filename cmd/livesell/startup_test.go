package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets a test run this test binary as the livesell command: with
// LIVESELL_TEST_RUN_MAIN=1 it is main() with the arguments after "--";
// with LIVESELL_TEST_SERVE=1 it is a node of a cluster test (testServe).
func TestMain(m *testing.M) {
	if os.Getenv("LIVESELL_TEST_SERVE") == "1" {
		testServe()
	}
	if os.Getenv("LIVESELL_TEST_RUN_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{os.Args[0]}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// unreachableCases are the start-ups that must fail with a clear error:
// each real service pointed at a closed loopback port.
func unreachableCases(t *testing.T) []struct{ name, env, url, want string } {
	addr := closedPort(t)
	return []struct{ name, env, url, want string }{
		{"redis", "REDIS_URL", "redis://" + addr + "/0", "redis unreachable (REDIS_URL)"},
		{"postgres", "DATABASE_URL", "postgres://postgres@" + addr + "/test?sslmode=disable", "postgres unreachable (DATABASE_URL)"},
		{"nats", "NATS_URL", "nats://" + addr, "nats unreachable (NATS_URL)"},
	}
}

// TestServeUnreachableBackend checks that run returns an error naming the
// service instead of panicking (a nil *Backends used to be closed).
func TestServeUnreachableBackend(t *testing.T) {
	for _, tt := range unreachableCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{tt.env: tt.url, "LIVESELL_DATA_DIR": dir, "LIVESELL_HTTP_ADDR": "127.0.0.1:0", "LIVESELL_ICE_INTERFACES": "lo"}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var stderr bytes.Buffer
			err := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, &stderr, &stderr)
			if err == nil {
				t.Fatal("serve started with an unreachable backend")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "connect") {
				t.Fatalf("error = %q; want it to say %q and why", err, tt.want)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("serve waited for the deadline: %v", err)
			}
		})
	}
}

// TestBinaryExitsNonZeroOnUnreachableBackend runs the command as a process:
// exit code 1, one "livesell: …" line naming the service, no panic trace.
func TestBinaryExitsNonZeroOnUnreachableBackend(t *testing.T) {
	for _, tt := range unreachableCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "--", "serve")
			cmd.Env = append(os.Environ(),
				"LIVESELL_TEST_RUN_MAIN=1",
				tt.env+"="+tt.url,
				"LIVESELL_DATA_DIR="+t.TempDir(),
				"LIVESELL_HTTP_ADDR=127.0.0.1:0",
				"LIVESELL_ICE_INTERFACES=lo",
			)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit = %v, want exit status 1; output:\n%s", err, out)
			}
			if bytes.Contains(out, []byte("panic")) || bytes.Contains(out, []byte("goroutine ")) {
				t.Fatalf("start-up panicked:\n%s", out)
			}
			if !bytes.Contains(out, []byte("livesell: ")) || !bytes.Contains(out, []byte(tt.want)) {
				t.Fatalf("output does not name the cause %q:\n%s", tt.want, out)
			}
		})
	}
}
