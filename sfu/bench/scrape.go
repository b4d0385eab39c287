package bench

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Server-side histograms the tool reads from /metrics.
const (
	// fanoutMetric: from reading a publisher's packet to having written it
	// to every subscriber.
	fanoutMetric = "livesell_sfu_fanout_seconds"
	// forwardMetric: from reading a publisher's packet to having written it
	// to one subscriber, per packet and subscriber.
	forwardMetric = "livesell_sfu_forward_latency_seconds"
	// shedMetric (a counter, read into sum): packets the server dropped
	// for every viewer because its fan-out fell behind.
	shedMetric = "livesell_sfu_packets_shed_total"
)

// histogram is a scraped cumulative histogram: counts by upper bound in
// seconds, and the sum of the observations.
type histogram struct {
	buckets map[float64]float64
	sum     float64
}

// histograms are scraped histograms by metric name.
type histograms map[string]*histogram

func (h histograms) get(name string) *histogram {
	if h[name] == nil {
		h[name] = &histogram{buckets: map[float64]float64{}}
	}
	return h[name]
}

// scrapeHistograms reads the named cumulative histograms from
// {server}/metrics, sending token (the metrics or admin token) as Bearer
// when set. Names the server does not expose are missing.
func scrapeHistograms(c *http.Client, server, token string, names ...string) histograms {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/metrics", nil)
	if err != nil {
		return nil
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := histograms{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, v, ok := strings.Cut(line, " "); ok && slices.Contains(names, name) { // a counter
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				out.get(name).sum = f
			}
			continue
		}
		if name, v, ok := strings.Cut(line, "_sum "); ok && slices.Contains(names, name) {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				out.get(name).sum = f
			}
			continue
		}
		name, _, ok := strings.Cut(line, "_bucket{")
		if !ok || !slices.Contains(names, name) {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.Index(line, `"}`)
		if i < 0 || j < i {
			continue
		}
		le, err1 := strconv.ParseFloat(line[i+4:j], 64)
		n, err2 := strconv.ParseFloat(strings.TrimSpace(line[j+2:]), 64)
		if err1 == nil && err2 == nil {
			out.get(name).buckets[le] = n
		}
	}
	return out
}

// summary is the growth of a histogram between two scrapes: quantiles
// interpolated linearly within buckets (seconds), the mean and the count.
type summary struct {
	p50, p95, p99, mean float64
	n                   float64
}

// summarize returns the growth of the histogram from b to a, or false
// when nothing was observed in between.
func summarize(b, a *histogram) (summary, bool) {
	if b == nil || a == nil {
		return summary{}, false
	}
	les := make([]float64, 0, len(a.buckets))
	for le := range a.buckets {
		les = append(les, le)
	}
	sort.Float64s(les)
	total := a.buckets[math.Inf(1)] - b.buckets[math.Inf(1)]
	if total <= 0 {
		return summary{}, false
	}
	q := func(p float64) float64 {
		prevLe, prevN := 0.0, 0.0
		for _, le := range les {
			n := a.buckets[le] - b.buckets[le]
			if n >= p*total {
				if math.IsInf(le, 1) {
					return math.Inf(1)
				}
				return prevLe + (le-prevLe)*(p*total-prevN)/math.Max(n-prevN, 1)
			}
			prevLe, prevN = le, n
		}
		return math.NaN()
	}
	return summary{p50: q(.5), p95: q(.95), p99: q(.99), mean: (a.sum - b.sum) / total, n: total}, true
}

// ms formats seconds as milliseconds.
func ms(s float64) string {
	if math.IsInf(s, 1) {
		return "> 1s"
	}
	return fmt.Sprintf("%.2fms", s*1e3)
}

// latencySummary formats the growth of a latency histogram between two
// scrapes; "" when nothing was observed.
func latencySummary(b, a *histogram, what string) string {
	s, ok := summarize(b, a)
	if !ok {
		return ""
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  mean %s  (%.0f %s)", ms(s.p50), ms(s.p95), ms(s.p99), ms(s.mean), s.n, what)
}
