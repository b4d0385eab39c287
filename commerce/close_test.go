package commerce_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/livesell/livesell/commerce"
	"github.com/livesell/livesell/internal/auth"
	"github.com/livesell/livesell/internal/testenv"
)

// Close stops every goroutine New started (relay, cards, sweeper,
// reconciler, tag consumer).
func TestCloseStopsEveryGoroutine(t *testing.T) {
	b := testenv.Backends(t, testenv.Real)
	ns := testenv.Namespace(t)
	ctx := context.Background()
	// Warm the clients' own long-lived goroutines before the baseline.
	b.Redis.Ping(ctx)
	b.NATS.Flush()
	opt := goleak.IgnoreCurrent()
	c, err := commerce.New(ctx, commerce.Options{Backends: b, Namespace: ns, AdminToken: "adm", Users: auth.NewVerifier([]byte("k"), ""),
		SandboxSecret: "sandbox-secret-for-tests-0123456789", Sandbox: true, SweepEvery: 10 * time.Millisecond, Log: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, opt, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).reaper"))
}
