package bench

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunMediaSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := RunMedia(ctx, MediaOptions{Viewers: 3, Duration: time.Second, Bitrates: []int{100_000, 200_000, 400_000}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, want := range []string{"join", "p99", "loss", "per forwarded packet"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "(3 without keyframe") {
		t.Error("no viewer got a keyframe")
	}
}

// TestRunMediaLoad runs the full load test when LIVESELL_BENCH_MEDIA=1, for
// example against a separate server process:
//
//	go run ./sfu/bench/benchserver -addr 127.0.0.1:8089 & pid=$!
//	LIVESELL_BENCH_MEDIA=1 LIVESELL_BENCH_SERVER=http://127.0.0.1:8089 \
//	LIVESELL_BENCH_SERVER_PID=$pid go test -run TestRunMediaLoad -v -timeout 10m ./sfu/bench/
func TestRunMediaLoad(t *testing.T) {
	if os.Getenv("LIVESELL_BENCH_MEDIA") != "1" {
		t.Skip("set LIVESELL_BENCH_MEDIA=1 to run the media load test")
	}
	opts := MediaOptions{Server: os.Getenv("LIVESELL_BENCH_SERVER"), Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	opts.ServerPID, _ = strconv.Atoi(os.Getenv("LIVESELL_BENCH_SERVER_PID"))
	opts.Viewers, _ = strconv.Atoi(os.Getenv("LIVESELL_BENCH_VIEWERS"))
	if d, err := time.ParseDuration(os.Getenv("LIVESELL_BENCH_DURATION")); err == nil {
		opts.Duration = d
	}
	if err := RunMedia(context.Background(), opts, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
