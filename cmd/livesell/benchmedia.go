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

// benchMedia is "livesell bench media": a synthetic publisher over WHIP
// (three simulcast VP8 layers, or one VP8 or H.264 layer) and N WHEP
// viewers over loopback, pinned to a layer or automatic; it reports join
// time, delivered against due packets, delay, loss, server CPU per packet
// received and the server's peak RSS. Without --server it starts a whole
// livesell node in-process. --whip-url/--whep-url point it at another
// WHIP/WHEP server (sfu/bench/peers.sh).
func benchMedia(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench media", flag.ContinueOnError)
	fs.SetOutput(out)
	var o sfubench.MediaOptions
	var bitrates string
	var verbose, audio bool
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
	fs.StringVar(&o.Publisher, "publisher", "simulcast", "simulcast (three layers at --bitrates) or single (one layer at --single-bitrate, no rid)")
	single := fs.Int("single-bitrate", 960_000, "bitrate of the single layer: 960k is 4 packets of 1,000 B per frame at 30 fps")
	fs.StringVar(&o.Codec, "codec", "vp8", "vp8 or h264 (42e01f, packetization mode 1, offered alone by publisher and viewers)")
	fs.StringVar(&o.Pin, "viewers-pin", "layer", "layer (viewers ask for --layer) or auto (viewers ask for nothing)")
	fs.BoolVar(&audio, "audio", true, "publish Opus audio beside the video")
	fs.StringVar(&o.WHIPURL, "whip-url", "", "WHIP endpoint of another server ({room} is replaced by --room); default {server}/whip/{room}")
	fs.StringVar(&o.WHEPURL, "whep-url", "", "WHEP endpoint of another server; default {server}/whep/{room}")
	fs.StringVar(&o.Bearer, "bearer", "", "Bearer token sent with --whip-url and --whep-url requests (a stream key)")
	whepNodes := fs.String("whep-nodes", "", "comma-separated base URLs of livesell nodes (cascade edges, or --server itself) to spread the viewers over round-robin; each must serve its viewers (a redirect is a failed join); reports CPU per forwarded packet and delay per node; needs --server (the origin) and --admin-token")
	serverPIDs := fs.String("server-pids", "", "comma-separated pids of the --whep-nodes processes, in the same order (CPU per node from /proc/<pid>/stat; --server-pid is the origin's)")
	fs.BoolVar(&verbose, "v", false, "log progress to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Viewers < 1 || o.Viewers > 5000 {
		return errors.New("bench media: --viewers must be 1..5000")
	}
	o.NoAudio = !audio
	if o.Publisher != "simulcast" && o.Publisher != "single" {
		return errors.New("bench media: --publisher must be simulcast or single")
	}
	if o.Codec != "vp8" && o.Codec != "h264" {
		return errors.New("bench media: --codec must be vp8 or h264")
	}
	if o.Pin != "layer" && o.Pin != "auto" {
		return errors.New("bench media: --viewers-pin must be layer or auto")
	}
	for _, u := range []string{o.Server, o.WHIPURL, o.WHEPURL} {
		if u != "" {
			if err := requireLoopback(u); err != nil {
				return err
			}
		}
	}
	if (o.WHIPURL == "") != (o.WHEPURL == "") || (o.WHIPURL != "" && o.Server == "") {
		return errors.New("bench media: --whip-url and --whep-url go together, with --server (the other server's base URL)")
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
	if o.Publisher == "single" {
		if *single <= 0 {
			return errors.New("bench media: bad --single-bitrate")
		}
		o.Bitrates = []int{*single}
	}
	if verbose {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	nodes, err := setupNodes(ctx, &o, *whepNodes, *serverPIDs)
	if err != nil {
		return err
	}
	if o.Server == "" {
		url, token, stop, err := localServer(ctx, o.Logger)
		if err != nil {
			return err
		}
		defer stop()
		o.Server, o.AdminToken, o.PushKey, o.ServerPID = url, token, "", 0
	}
	if o.PushKey == "" && o.AdminToken == "" && o.WHIPURL == "" {
		return errors.New("bench media: give --push-key for --room, or --admin-token to create a room")
	}
	if err := sfubench.RunMedia(ctx, o, out); err != nil || nodes == nil {
		return err
	}
	return nodes.report(out)
}
