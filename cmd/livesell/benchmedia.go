package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	sfubench "github.com/livesell/livesell/sfu/bench"
)

func init() { benchCommands["media"] = benchMedia }

// benchMedia is "livesell bench media": a synthetic three-layer simulcast
// VP8 publisher over WHIP and N WHEP viewers over loopback; it reports join
// time, forwarding latency, loss, bitrate and server CPU per forwarded
// packet. Without --server it starts a whole livesell node in-process.
func benchMedia(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench media", flag.ContinueOnError)
	fs.SetOutput(out)
	var o sfubench.MediaOptions
	var bitrates string
	var verbose bool
	fs.StringVar(&o.Server, "server", "", "livesell base URL (loopback only); empty starts a livesell node in this process")
	fs.StringVar(&o.AdminToken, "admin-token", "", "admin token: the tool creates its own room when no --push-key is given")
	fs.StringVar(&o.Room, "room", "bench", "room to publish into")
	fs.StringVar(&o.PushKey, "push-key", "", "push key sent as Bearer on the WHIP request")
	fs.IntVar(&o.Viewers, "viewers", 300, "WHEP viewers to attach")
	fs.StringVar(&o.Layer, "layer", "h", "layer each viewer asks for (?layer=)")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "measurement window after all viewers joined")
	fs.IntVar(&o.JoinConcurrency, "join-concurrency", 8, "WHEP requests in flight while joining")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "server process to read CPU time from (/proc/<pid>/stat)")
	fs.StringVar(&bitrates, "bitrates", "250000,650000,1600000", "q,h,f layer bitrates in bits per second")
	fs.Float64Var(&o.Pacing, "pacing", 2.5, "publisher pacing as a multiple of its bitrate, in 5 ms bursts like a browser's pacer (0 = each frame in one burst)")
	fs.BoolVar(&verbose, "v", false, "log progress to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Viewers < 1 || o.Viewers > 5000 {
		return errors.New("bench media: --viewers must be 1..5000")
	}
	if o.Server != "" {
		if err := requireLoopback(o.Server); err != nil {
			return err
		}
	}
	for _, f := range strings.Split(bitrates, ",") {
		var b int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &b); err != nil || b <= 0 {
			return fmt.Errorf("bench media: bad --bitrates %q", bitrates)
		}
		o.Bitrates = append(o.Bitrates, b)
	}
	if len(o.Bitrates) != 3 {
		return errors.New("bench media: --bitrates needs three values")
	}
	if verbose {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Server == "" {
		url, token, stop, err := localServer(ctx, o.Logger)
		if err != nil {
			return err
		}
		defer stop()
		o.Server, o.AdminToken, o.PushKey, o.ServerPID = url, token, "", 0
	}
	if o.PushKey == "" && o.AdminToken == "" {
		return errors.New("bench media: give --push-key for --room, or --admin-token to create a room")
	}
	return sfubench.RunMedia(ctx, o, out)
}
