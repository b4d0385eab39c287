package backend_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livesell/livesell/internal/backend"
	"github.com/livesell/livesell/internal/testenv"
)

// TestEmbeddedRedisRequiresPassword checks that another local process
// cannot use the embedded store: a raw client without the password is
// refused, even for a read or a write of stock, and the password is in a
// 0600 file in the data directory.
func TestEmbeddedRedisRequiresPassword(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := backend.Open(ctx, backend.Options{DataDir: dir, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Redis.Set(ctx, "stock:{p1}", 7, 0).Err(); err != nil {
		t.Fatalf("livesell's own client: %v", err)
	}
	addr := b.Redis.(*redis.Client).Options().Addr

	pwFile := filepath.Join(dir, backend.RedisPasswordFile)
	st, err := os.Stat(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", pwFile, st.Mode().Perm())
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}

	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	send := func(args ...string) string {
		t.Helper()
		var sb strings.Builder
		sb.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
		for _, a := range args {
			sb.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
		if _, err := conn.Write([]byte(sb.String())); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(line)
	}
	tests := []struct {
		args []string
		want string // prefix of the reply
	}{
		{[]string{"PING"}, "-NOAUTH"},
		{[]string{"GET", "stock:{p1}"}, "-NOAUTH"},
		{[]string{"SET", "stock:{p1}", "1000"}, "-NOAUTH"},
		{[]string{"AUTH", "guess"}, "-WRONGPASS"},
		{[]string{"SET", "stock:{p1}", "1000"}, "-NOAUTH"},
		{[]string{"AUTH", strings.TrimSpace(string(pw))}, "+OK"},
		{[]string{"PING"}, "+PONG"},
	}
	for _, tt := range tests {
		if got := send(tt.args...); !strings.HasPrefix(got, tt.want) {
			t.Fatalf("%v: reply %q, want %s…", tt.args, got, tt.want)
		}
	}
	if got, err := b.Redis.Get(ctx, "stock:{p1}").Result(); err != nil || got != "7" {
		t.Fatalf("stock = %q, %v; want 7 (unchanged by the refused client)", got, err)
	}
}
