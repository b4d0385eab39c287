package backend_test

import (
	"context"
	"testing"
	"time"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

func TestBackendsRoundTrip(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Redis runs Lua on both paths.
		got, err := b.Redis.Eval(ctx, `return redis.call('INCRBY', KEYS[1], ARGV[1])`, []string{ns + ":{k}"}, 41).Int64()
		if err != nil || got != 41 {
			t.Fatalf("lua incr = %d, %v; want 41", got, err)
		}
		b.Redis.Del(ctx, ns+":{k}")
		// SQL store answers.
		var one int
		if err := b.SQL.QueryRowContext(ctx, `SELECT $1 + 0`, 1).Scan(&one); err != nil || one != 1 {
			t.Fatalf("sql select = %d, %v", one, err)
		}
		// NATS delivers.
		sub, err := b.NATS.SubscribeSync(ns + ".ping")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.NATS.Publish(ns+".ping", []byte("pong")); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.NextMsg(5 * time.Second)
		if err != nil || string(msg.Data) != "pong" {
			t.Fatalf("nats message = %v, %v", msg, err)
		}
	})
}

// TestKeysExpire checks that TTLs count down on both paths (the embedded
// store only expires keys when its clock runs).
func TestKeysExpire(t *testing.T) {
	testenv.Each(t, func(t *testing.T, b *backend.Backends, ns string) {
		ctx := context.Background()
		if err := b.Redis.Set(ctx, ns+":ttl", "x", 500*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 5*time.Second, func() bool {
			n, err := b.Redis.Exists(ctx, ns+":ttl").Result()
			return err == nil && n == 0
		}, "a key with a 500ms TTL did not expire")
	})
}
