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
// {server}/metrics. Names the server does not expose are missing.
func scrapeHistograms(c *http.Client, server string, names ...string) histograms {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/metrics", nil)
	if err != nil {
		return nil
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

// fanoutSummary formats p50/p95/p99 (as bucket upper bounds) of the
// histogram's growth between two scrapes.
func fanoutSummary(b, a *histogram) string {
	if b == nil || a == nil {
		return ""
	}
	before, after := b.buckets, a.buckets
	les := make([]float64, 0, len(after))
	for le := range after {
		les = append(les, le)
	}
	sort.Float64s(les)
	total := after[math.Inf(1)] - before[math.Inf(1)]
	if total <= 0 {
		return ""
	}
	q := func(p float64) string {
		for _, le := range les {
			if after[le]-before[le] >= p*total {
				if math.IsInf(le, 1) {
					return "> 1s"
				}
				return "≤ " + time.Duration(le*float64(time.Second)).String()
			}
		}
		return "?"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  (%.0f packets)", q(.5), q(.95), q(.99), total)
}

// latencySummary formats p50/p95/p99 of the histogram's growth between
// two scrapes, interpolated linearly within buckets, and the mean.
func latencySummary(b, a *histogram) string {
	if b == nil || a == nil {
		return ""
	}
	before, after, sum := b.buckets, a.buckets, a.sum-b.sum
	les := make([]float64, 0, len(after))
	for le := range after {
		les = append(les, le)
	}
	sort.Float64s(les)
	total := after[math.Inf(1)] - before[math.Inf(1)]
	if total <= 0 {
		return ""
	}
	q := func(p float64) string {
		prevLe, prevN := 0.0, 0.0
		for _, le := range les {
			n := after[le] - before[le]
			if n >= p*total {
				if math.IsInf(le, 1) {
					return fmt.Sprintf("> %v", time.Duration(prevLe*float64(time.Second)))
				}
				v := prevLe + (le-prevLe)*(p*total-prevN)/math.Max(n-prevN, 1)
				return fmt.Sprintf("%.2fms", v*1e3)
			}
			prevLe, prevN = le, n
		}
		return "?"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  mean %.2fms  (%.0f packets to viewers)", q(.5), q(.95), q(.99), sum/total*1e3, total)
}
