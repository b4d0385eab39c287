package sfu

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestLatencyHistogram(t *testing.T) {
	var c latencyCounts
	c.add(100_000, 3)       // 0.1 ms: first bucket
	c.add(2_500_000, 2)     // 2.5 ms: the 3 ms bucket
	c.add(5_000_000_000, 1) // 5 s: +Inf
	h := newLatencyHistogram("test_latency_seconds", "test")
	h.merge(&c)
	h.merge(&c)
	var nilHist *latencyHistogram
	nilHist.merge(&c) // records nothing, does not panic

	reg := prometheus.NewRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := mfs[0].GetMetric()[0].GetHistogram()
	if got.GetSampleCount() != 12 {
		t.Errorf("count = %d, want 12", got.GetSampleCount())
	}
	if want := 2 * (3*0.0001 + 2*0.0025 + 5); got.GetSampleSum() < want-1e-9 || got.GetSampleSum() > want+1e-9 {
		t.Errorf("sum = %v, want %v", got.GetSampleSum(), want)
	}
	cum := map[float64]uint64{}
	for _, b := range got.GetBucket() {
		cum[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	for le, want := range map[float64]uint64{.00025: 6, .002: 6, .003: 10, 1: 10} {
		if cum[le] != want {
			t.Errorf("bucket le=%v: %d, want %d", le, cum[le], want)
		}
	}
}
