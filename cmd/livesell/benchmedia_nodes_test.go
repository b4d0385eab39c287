package main

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseNodeFlags(t *testing.T) {
	const o, e1, e2 = "http://127.0.0.1:8301", "http://127.0.0.1:8302", "http://127.0.0.1:8303"
	type want struct {
		base string
		pid  int
		whep int
	}
	cases := []struct {
		name                  string
		server                string
		serverPID             int
		whepNodes, serverPIDs string
		nodes                 []want
		whep                  []string
		err                   string
	}{
		{name: "single-node mode", server: o, serverPID: 7},
		{name: "pids without nodes", server: o, serverPIDs: "1,2", err: "goes with --whep-nodes"},
		{name: "two edges", server: o, serverPID: 7, whepNodes: e1 + "," + e2, serverPIDs: "8, 9",
			nodes: []want{{o, 7, -1}, {e1, 8, 0}, {e2, 9, 1}}, whep: []string{e1 + "/whep/{room}", e2 + "/whep/{room}"}},
		{name: "edges without pids", server: o, whepNodes: e1 + "/," + e2,
			nodes: []want{{o, 0, -1}, {e1, 0, 0}, {e2, 0, 1}}, whep: []string{e1 + "/whep/{room}", e2 + "/whep/{room}"}},
		{name: "the origin itself serves the viewers", server: o + "/", serverPID: 7, whepNodes: o, serverPIDs: "7",
			nodes: []want{{o, 7, 0}}, whep: []string{o + "/whep/{room}"}},
		{name: "origin pid from --server-pids", server: o, whepNodes: o, serverPIDs: "7", nodes: []want{{o, 7, 0}}, whep: []string{o + "/whep/{room}"}},
		{name: "origin pids disagree", server: o, serverPID: 7, whepNodes: o, serverPIDs: "8", err: "its pid is 7"},
		{name: "no origin", whepNodes: e1, err: "needs --server"},
		{name: "pid count", server: o, whepNodes: e1 + "," + e2, serverPIDs: "8", err: "1 pids for 2"},
		{name: "bad pid", server: o, whepNodes: e1, serverPIDs: "x", err: "bad pid"},
		{name: "zero pid", server: o, whepNodes: e1, serverPIDs: "0", err: "bad pid"},
		{name: "twice", server: o, whepNodes: e1 + "," + e1 + "/", err: "twice"},
		{name: "not loopback", server: o, whepNodes: "http://192.0.2.1:8302", err: "loopback"},
		{name: "not a base URL", server: o, whepNodes: e1 + "/whep/r1", err: "base URL"},
		{name: "credentials in the URL", server: o, whepNodes: "http://u:p@127.0.0.1:8302", err: "base URL"},
		{name: "empty entry", server: o, whepNodes: e1 + ",", err: "http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nodes, whep, err := parseNodeFlags(c.server, c.serverPID, c.whepNodes, c.serverPIDs)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(nodes) != len(c.nodes) || len(whep) != len(c.whep) {
				t.Fatalf("nodes %d, whep %v; want %d, %v", len(nodes), whep, len(c.nodes), c.whep)
			}
			for i, n := range nodes {
				if g := (want{n.base, n.pid, n.whep}); g != c.nodes[i] {
					t.Errorf("node %d = %+v, want %+v", i, g, c.nodes[i])
				}
			}
			for i := range whep {
				if whep[i] != c.whep[i] {
					t.Errorf("whep %d = %q, want %q", i, whep[i], c.whep[i])
				}
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	const text = `# HELP livesell_sfu_packets_out_total RTP packets forwarded to subscribers.
# TYPE livesell_sfu_packets_out_total counter
livesell_sfu_packets_out_total 1.234567e+06
livesell_sfu_packets_out_total_extra 5
livesell_sfu_relay_links 2
livesell_sfu_viewers{room="a"} 3 1700000000000
livesell_sfu_viewers{room="b}\"c",node="x"} 4
livesell_sfu_relay_sources{room="unterminated 9
livesell_sfu_relay_packets_out_total NaN-ish
livesell_sfu_rooms 1
 livesell_sfu_relay_packets_out_total	+Inf
livesell_sfu_viewers{} 1 2 3
`
	got, err := parseMetrics(strings.NewReader(text), nodeMetrics)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		metricForwarded: 1234567,
		metricLinks:     2,
		metricViewers:   7, // two label sets summed; a line with two timestamps is malformed
		metricRelayOut:  math.Inf(1),
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, err := parseMetrics(strings.NewReader(strings.Repeat("x", 2<<20)), nodeMetrics); err == nil {
		t.Error("a 2 MiB line is not an error")
	}
}

// FuzzParseMetrics: /metrics is another process's output; the parser never
// panics, returns only the names asked for, and a well-formed sample line
// appended to any text is read back.
func FuzzParseMetrics(f *testing.F) {
	f.Add("livesell_sfu_packets_out_total 12\n", 3.0)
	f.Add("# TYPE x counter\nlivesell_sfu_viewers{room=\"a\\\"}\"} 1 17\n", 1e9)
	f.Add("{{{ }}}\n\"\n", 0.5)
	f.Fuzz(func(t *testing.T, text string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		got, _ := parseMetrics(strings.NewReader(text), nodeMetrics)
		for k := range got {
			if !strings.HasPrefix(k, "livesell_sfu_") {
				t.Fatalf("name %q was not asked for", k)
			}
		}
		before := got[metricRelayOut]
		if math.IsInf(before, 0) || math.IsNaN(before) {
			return
		}
		after, err := parseMetrics(strings.NewReader(text+"\n"+metricRelayOut+" "+strconv.FormatFloat(v, 'g', -1, 64)+"\n"), nodeMetrics)
		if err != nil {
			return // an over-long line in text
		}
		if w := before + v; after[metricRelayOut] != w && !(math.IsNaN(w) && math.IsNaN(after[metricRelayOut])) {
			t.Fatalf("appended sample: %v, want %v", after[metricRelayOut], w)
		}
	})
}

// TestBenchMediaNodesFlags: the multi-node flags are refused where they
// cannot work, before anything starts.
func TestBenchMediaNodesFlags(t *testing.T) {
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"--whep-nodes", "http://127.0.0.1:1"}, "needs --server"},
		{[]string{"--server", "http://127.0.0.1:1", "--whep-nodes", "http://127.0.0.1:2"}, "needs --admin-token"},
		{[]string{"--server", "http://127.0.0.1:1", "--admin-token", "x", "--whep-nodes", "http://127.0.0.1:2",
			"--whip-url", "http://127.0.0.1:1/w", "--whep-url", "http://127.0.0.1:1/p"}, "not with --whip-url"},
		{[]string{"--server", "http://127.0.0.1:1", "--admin-token", "x", "--server-pids", "1"}, "goes with --whep-nodes"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"bench", "media"}, c.args...), func(string) string { return "" }, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.err)
		}
	}
}

// TestBenchMediaNodesReport runs the multi-node mode against one livesell
// node started here that serves its own viewers (the single-node side of
// sfu/bench/cascade.sh): the per-node table has the node's CPU per
// forwarded packet from its /metrics and its viewers' delivery and delay.
func TestBenchMediaNodesReport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url, token, stop, err := localServer(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var out bytes.Buffer
	pid := strconv.Itoa(os.Getpid())
	err = run(ctx, []string{"bench", "media", "--server", url, "--admin-token", token, "--server-pid", pid,
		"--whep-nodes", url, "--server-pids", pid, "--viewers", "3", "--duration", "2s",
		"--publisher", "single", "--codec", "h264", "--viewers-pin", "auto", "--audio=false"}, func(string) string { return "" }, &out, &out)
	if err != nil {
		t.Fatalf("bench media: %v\n%s", err, out.String())
	}
	row := regexp.MustCompile(`\| ` + regexp.QuoteMeta(url) + ` \| origin\+viewers \| ` + pid +
		` \| 3 \| 0 / 0 \| [0-9.]+ s \([0-9.]+ cores\) \| (\d+) \(0 over links\) \| ([0-9.]+) \| ([0-9.]+) % \| [0-9.]+ / [0-9.]+ ms \| \d+ ms \| \d+ \|`)
	// --record compare reads the CPU per packet from this report's CPU
	// line (it looked for a wording the report no longer had).
	if m := cpuPerPacket.FindStringSubmatch(out.String()); m == nil {
		t.Errorf("--record's CPU pattern finds nothing in the report:\n%s", out.String())
	}
	m := row.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no per-node row for %s:\n%s", url, out.String())
	}
	// 3 viewers of 4 packets per frame at 30 fps for about 2 s.
	if fwd, _ := strconv.Atoi(m[1]); fwd < 3*4*30 {
		t.Errorf("%d packets forwarded in the window, want at least %d", fwd, 3*4*30)
	}
	if us, _ := strconv.ParseFloat(m[2], 64); us <= 0 {
		t.Errorf("CPU per forwarded packet %v", us)
	}
	if pct, _ := strconv.ParseFloat(m[3], 64); pct < 95 || pct > 100 {
		t.Errorf("delivered %.2f%% to 3 viewers:\n%s", pct, out.String())
	}
}

// TestBenchMediaNodesRedirectIsAFailure: a node that redirects its viewers
// (a node without cascade sends them to the origin) does not serve them,
// so the run fails and says how many were redirected; the redirect is not
// followed.
func TestBenchMediaNodesRedirectIsAFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url, token, stop, err := localServer(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var followed atomic.Int64
	origin := http.NewServeMux()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/followed") {
			followed.Add(1)
		}
		origin.ServeHTTP(w, r)
	}))
	defer redirecting.Close()
	origin.HandleFunc("/whep/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirecting.URL+"/followed"+r.URL.Path, http.StatusTemporaryRedirect)
	})
	var out bytes.Buffer
	err = run(ctx, []string{"bench", "media", "--server", url, "--admin-token", token,
		"--whep-nodes", url + "," + redirecting.URL, "--viewers", "4", "--duration", "1s",
		"--publisher", "single", "--viewers-pin", "auto", "--audio=false"}, func(string) string { return "" }, &out, &out)
	if err == nil {
		t.Fatalf("a run with redirected viewers succeeded:\n%s", out.String())
	}
	if !strings.Contains(err.Error(), redirecting.URL+"/whep/{room}: 2 failed (2 redirected") {
		t.Errorf("err = %v, want 2 of the redirecting node's viewers counted as redirected", err)
	}
	if strings.Contains(err.Error(), url+"/whep/{room}:") {
		t.Errorf("the serving node's viewers failed too: %v", err)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("%d redirects were followed", n)
	}
}
