package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchMediaAgainstInProcessNode runs `livesell bench media` without
// --server: a whole livesell node starts in-process (embedded stores, ICE on
// loopback), the tool creates its room through the admin API, publishes
// three simulcast layers over WHIP and attaches viewers over WHEP.
func TestBenchMediaAgainstInProcessNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"bench", "media", "--viewers", "3", "--duration", "1s", "--bitrates", "100000,200000,400000"}, func(string) string { return "" }, &out, &out)
	if err != nil {
		t.Fatalf("bench media: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"join", "p99", "loss", "per packet received", "peak RSS"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if !strings.Contains(report, "(0 without keyframe") {
		t.Errorf("a viewer got no keyframe:\n%s", report)
	}
}

// TestBenchMediaSingleLayerAuto runs the outside load of #13 in small: one
// H.264 layer without simulcast, viewers that pin no layer and offer H.264
// alone; the report gives delivered against due packets.
func TestBenchMediaSingleLayerAuto(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"bench", "media", "--viewers", "3", "--duration", "1s", "--publisher", "single", "--codec", "h264",
		"--viewers-pin", "auto", "--audio=false"}, func(string) string { return "" }, &out, &out)
	if err != nil {
		t.Fatalf("bench media: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{"single h264", "automatic", "(0 without keyframe", "delivered:", "no audio"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if m := regexp.MustCompile(`delivered: \d+ of \d+ video packets/s due \((\d+\.\d+)%`).FindStringSubmatch(report); m == nil {
		t.Errorf("no delivery line:\n%s", report)
	} else if pct, _ := strconv.ParseFloat(m[1], 64); pct < 95 || pct > 100 {
		t.Errorf("delivered %.2f%% of due packets to 3 viewers:\n%s", pct, report)
	}
}

func TestBenchMediaRefusesOtherHosts(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "media", "--server", "http://192.0.2.1:8080", "--admin-token", "x"}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v, want a loopback refusal", err)
	}
}
