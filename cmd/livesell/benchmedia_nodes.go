package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/livesell/livesell/internal/procstat"
	sfubench "github.com/livesell/livesell/sfu/bench"
)

// The multi-node mode of "livesell bench media" (--whep-nodes): the
// publisher goes to --server (the origin) and the viewers are spread
// round-robin over the nodes listed, each answered by its own node (a
// cascade edge) or counted as a failed join. Per node it reports the CPU
// seconds of its process over the steady window (--server-pids, aligned
// with --whep-nodes; --server-pid for the origin), the packets it forwarded
// (livesell_sfu_packets_out_total from its /metrics, read before and after
// the window: to viewers and, on an origin, over cascade links), their
// ratio, and its viewers' delivered/due and end-to-end delay.

// Metrics the multi-node mode reads from every node's /metrics.
const (
	metricForwarded = "livesell_sfu_packets_out_total"
	metricRelayOut  = "livesell_sfu_relay_packets_out_total"
	metricLinks     = "livesell_sfu_relay_links"
	metricSources   = "livesell_sfu_relay_sources"
	metricViewers   = "livesell_sfu_viewers"
	metricShed      = "livesell_sfu_packets_shed_total"
)

var nodeMetrics = []string{metricForwarded, metricRelayOut, metricLinks, metricSources, metricViewers, metricShed}

// benchNode is one node of a multi-node run.
type benchNode struct {
	base string // http://host:port
	pid  int    // 0: no CPU reading
	whep int    // index in the WHEP node list, -1 for an origin without viewers

	t0, t1     time.Time
	cpu0, cpu1 time.Duration
	cpuErr     error
	m0, m1     map[string]float64
	scrapeErr  error
}

// role names the node's part in the run.
func (n *benchNode) role(origin bool) string {
	switch {
	case origin && n.whep >= 0:
		return "origin+viewers"
	case origin:
		return "origin"
	}
	return "edge"
}

// parseNodeFlags reads --whep-nodes and --server-pids against the origin
// --server and --server-pid: nodes[0] is the origin, then every WHEP node
// that is not the origin itself. whep are the WHEP endpoints, in the
// order viewers are spread over them.
func parseNodeFlags(server string, serverPID int, whepNodes, serverPIDs string) (nodes []*benchNode, whep []string, err error) {
	if strings.TrimSpace(whepNodes) == "" {
		if strings.TrimSpace(serverPIDs) != "" {
			return nil, nil, errors.New("bench media: --server-pids goes with --whep-nodes")
		}
		return nil, nil, nil
	}
	if server == "" {
		return nil, nil, errors.New("bench media: --whep-nodes needs --server (the origin the publisher goes to)")
	}
	origin, err := nodeBase(server)
	if err != nil {
		return nil, nil, err
	}
	bases := strings.Split(whepNodes, ",")
	var pids []int
	if strings.TrimSpace(serverPIDs) != "" {
		for _, f := range strings.Split(serverPIDs, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || pid <= 0 {
				return nil, nil, fmt.Errorf("bench media: bad pid %q in --server-pids", f)
			}
			pids = append(pids, pid)
		}
		if len(pids) != len(bases) {
			return nil, nil, fmt.Errorf("bench media: --server-pids has %d pids for %d --whep-nodes", len(pids), len(bases))
		}
	}
	nodes = []*benchNode{{base: origin, pid: serverPID, whep: -1}}
	seen := map[string]bool{}
	for i, raw := range bases {
		b, err := nodeBase(raw)
		if err != nil {
			return nil, nil, err
		}
		if seen[b] {
			return nil, nil, fmt.Errorf("bench media: %s is twice in --whep-nodes", b)
		}
		seen[b] = true
		pid := 0
		if pids != nil {
			pid = pids[i]
		}
		n := &benchNode{base: b, pid: pid, whep: i}
		if b == origin {
			if serverPID > 0 && pid > 0 && pid != serverPID {
				return nil, nil, fmt.Errorf("bench media: %s is the origin: its pid is %d (--server-pid), not %d", b, serverPID, pid)
			}
			nodes[0].whep, nodes[0].pid = i, max(serverPID, pid)
		} else {
			nodes = append(nodes, n)
		}
		whep = append(whep, b+"/whep/{room}")
	}
	return nodes, whep, nil
}

// nodeBase checks that raw is a loopback base URL (scheme and host, no
// path, query or credentials) and returns it without a trailing slash.
func nodeBase(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if err := requireLoopback(raw); err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("bench media: bad node URL %q", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return "", fmt.Errorf("bench media: %q: give a node's base URL (scheme://host:port)", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// maxMetricsBytes bounds what is read of one /metrics answer.
const maxMetricsBytes = 8 << 20

// parseMetrics reads the Prometheus text exposition in r and returns the
// value of each wanted metric, summed over its label sets; names absent
// from r are absent from the map. Comments, blank lines and malformed
// lines are skipped; a line longer than 1 MiB is an error.
func parseMetrics(r io.Reader, want []string) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(r, maxMetricsBytes))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := parseSample(sc.Text())
		if !ok {
			continue
		}
		for _, w := range want {
			if w == name {
				out[name] += v
				break
			}
		}
	}
	return out, sc.Err()
}

// parseSample splits one exposition line, name{labels} value [timestamp],
// into its metric name and value.
func parseSample(line string) (string, float64, bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", 0, false
	}
	i := 0
	for i < len(line) && isNameByte(line[i], i == 0) {
		i++
	}
	if i == 0 {
		return "", 0, false
	}
	name, rest := line[:i], line[i:]
	if strings.HasPrefix(rest, "{") {
		end, ok := labelsEnd(rest)
		if !ok {
			return "", 0, false
		}
		rest = rest[end:]
	}
	if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return "", 0, false
	}
	f := strings.Fields(rest)
	if len(f) < 1 || len(f) > 2 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", 0, false
	}
	return name, v, true
}

// isNameByte reports whether c may appear in a metric name ([a-zA-Z_:]
// first, then also digits).
func isNameByte(c byte, first bool) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

// labelsEnd returns the index just past the closing brace of the label
// set that s starts with, honouring quoted values and their escapes.
func labelsEnd(s string) (int, bool) {
	quoted := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '}':
			return i + 1, true
		}
	}
	return 0, false
}

// scrapeNode reads the node metrics from base/metrics (loopback only),
// sending token as Bearer.
func scrapeNode(ctx context.Context, c *http.Client, base, token string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s/metrics: %s", base, resp.Status)
	}
	m, err := parseMetrics(resp.Body, nodeMetrics)
	if err != nil {
		return nil, fmt.Errorf("scrape %s/metrics: %w", base, err)
	}
	if _, ok := m[metricForwarded]; !ok {
		return nil, fmt.Errorf("scrape %s/metrics: no %s", base, metricForwarded)
	}
	return m, nil
}

// nodeWatch reads every node's CPU and metrics as the window opens and
// closes, and reports them with the viewers' tallies per node.
type nodeWatch struct {
	ctx   context.Context
	nodes []*benchNode
	token string
	c     *http.Client
	res   []sfubench.NodeResult
}

// window is MediaOptions.OnWindow: the CPU readings of all nodes first,
// then their /metrics, at either edge of the window.
func (w *nodeWatch) window(win sfubench.Window) {
	for _, n := range w.nodes {
		var cpu time.Duration
		var err error
		if n.pid > 0 {
			cpu, err = procstat.CPU(n.pid)
		}
		if win.Begin {
			n.t0, n.cpu0 = time.Now(), cpu
		} else {
			n.t1, n.cpu1 = time.Now(), cpu
		}
		n.cpuErr = errors.Join(n.cpuErr, err)
	}
	for _, n := range w.nodes {
		m, err := scrapeNode(w.ctx, w.c, n.base, w.token)
		if win.Begin {
			n.m0 = m
		} else {
			n.m1 = m
		}
		n.scrapeErr = errors.Join(n.scrapeErr, err)
	}
}

// report writes the per-node table after RunMedia's own report.
func (w *nodeWatch) report(out io.Writer) error {
	fmt.Fprintf(out, "  per node (viewers round-robin over %d WHEP nodes, redirects are failed joins and not followed: 0 redirected;\n", len(w.res))
	fmt.Fprintf(out, "  forwarded = growth of %s over the window: RTP packets to viewers and, from an origin, over cascade links;\n", metricForwarded)
	fmt.Fprintln(out, "  delay = publisher send -> viewer receive, end to end through the cascade):")
	fmt.Fprintln(out, "  | node | role | pid | viewers | links out / in | CPU over window | forwarded packets | µs per forwarded packet | delivered of due | e2e delay p50 / p99 | first video p50 | shed |")
	fmt.Fprintln(out, "  | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	var failed error
	for i, n := range w.nodes {
		if n.scrapeErr != nil || n.m0 == nil || n.m1 == nil {
			failed = errors.Join(failed, fmt.Errorf("bench media: node %s: %w", n.base, n.scrapeErr))
			continue
		}
		d := n.t1.Sub(n.t0)
		fwd := n.m1[metricForwarded] - n.m0[metricForwarded]
		relay := n.m1[metricRelayOut] - n.m0[metricRelayOut]
		cpu, us := "-", "-"
		if n.pid > 0 && n.cpuErr == nil && d > 0 {
			c := n.cpu1 - n.cpu0
			cpu = fmt.Sprintf("%.2f s (%.2f cores)", c.Seconds(), c.Seconds()/d.Seconds())
			if fwd > 0 {
				us = fmt.Sprintf("%.2f", float64(c.Nanoseconds())/1e3/fwd)
			}
		} else if n.cpuErr != nil {
			failed = errors.Join(failed, fmt.Errorf("bench media: node %s: %w", n.base, n.cpuErr))
		}
		viewers, deliv, delay, first := 0, "-", "-", "-"
		if n.whep >= 0 && n.whep < len(w.res) {
			r := w.res[n.whep]
			viewers = r.Viewers
			if r.FramesDue > 0 {
				deliv = fmt.Sprintf("%.2f %%", 100*float64(r.FramesDelivered)/float64(r.FramesDue))
			}
			if r.DelayPackets > 0 {
				delay = fmt.Sprintf("%.2f / %.2f ms", msOf(r.DelayP50), msOf(r.DelayP99))
			}
			if r.Viewers > r.NoKeyframe {
				first = fmt.Sprintf("%.0f ms", msOf(r.JoinP50))
			}
			if r.NoKeyframe > 0 {
				first += fmt.Sprintf(" (%d without keyframe)", r.NoKeyframe)
			}
		}
		pid := "-"
		if n.pid > 0 {
			pid = strconv.Itoa(n.pid)
		}
		fmt.Fprintf(out, "  | %s | %s | %s | %d | %.0f / %.0f | %s | %.0f (%.0f over links) | %s | %s | %s | %s | %.0f |\n",
			n.base, n.role(i == 0), pid, viewers, n.m1[metricLinks], n.m1[metricSources], cpu, fwd, relay, us, deliv, delay, first,
			n.m1[metricShed]-n.m0[metricShed])
	}
	return failed
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// setupNodes wires the multi-node mode into o; nil when --whep-nodes is
// not given.
func setupNodes(ctx context.Context, o *sfubench.MediaOptions, whepNodes, serverPIDs string) (*nodeWatch, error) {
	nodes, whep, err := parseNodeFlags(o.Server, o.ServerPID, whepNodes, serverPIDs)
	if err != nil || nodes == nil {
		return nil, err
	}
	if o.WHIPURL != "" {
		return nil, errors.New("bench media: --whep-nodes is for livesell nodes: not with --whip-url/--whep-url")
	}
	if o.AdminToken == "" {
		return nil, errors.New("bench media: --whep-nodes needs --admin-token (it reads every node's /metrics)")
	}
	w := &nodeWatch{ctx: ctx, nodes: nodes, token: o.AdminToken, c: &http.Client{Timeout: 10 * time.Second}}
	o.WHEPNodes = whep
	o.OnWindow = w.window
	o.OnNodes = func(r []sfubench.NodeResult) { w.res = r }
	return w, nil
}
