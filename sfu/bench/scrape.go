package bench

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fanoutMetric is the server-side histogram of the time from reading a
// publisher's packet to having written it to every subscriber.
const fanoutMetric = "livesell_sfu_fanout_seconds_bucket"

// scrapeFanout reads the cumulative fan-out histogram from {server}/metrics,
// keyed by upper bound in seconds. It returns nil when the server does not
// expose it.
func scrapeFanout(c *http.Client, server string) map[float64]float64 {
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
	out := map[float64]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, fanoutMetric+"{") {
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
			out[le] = n
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fanoutSummary formats p50/p95/p99 (as bucket upper bounds) of the
// histogram's growth between two scrapes.
func fanoutSummary(before, after map[float64]float64) string {
	if before == nil || after == nil {
		return ""
	}
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
