package bench

import (
	"math"
	"strings"
	"testing"
)

func TestLatencySummaryInterpolates(t *testing.T) {
	before := &histogram{buckets: map[float64]float64{.001: 10, .002: 10, .01: 10, math.Inf(1): 10}, sum: 0.005}
	// 100 new observations: 50 up to 1 ms, 40 in (1, 2] ms, 10 in (2, 10] ms.
	after := &histogram{buckets: map[float64]float64{.001: 60, .002: 100, .01: 110, math.Inf(1): 110}, sum: 0.005 + 0.15}
	got := latencySummary(before, after, "packets to viewers")
	for _, want := range []string{"p50 1.00ms", "p95 6.00ms", "p99 9.20ms", "mean 1.50ms", "(100 packets to viewers)"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
	if latencySummary(nil, after, "") != "" || latencySummary(after, after, "") != "" {
		t.Error("a summary without new observations is not empty")
	}
}
