package sfu

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// forwardBuckets are the upper bounds, in seconds, of the forwarding
// latency histogram: fine below 20 ms, where a healthy SFU stays.
var forwardBuckets = [...]float64{.00025, .0005, .001, .0015, .002, .003, .004, .005, .006, .007, .008, .009, .01, .0125, .015, .02, .03, .05, .1, .25, 1}

// latencyCounts is one fan-out job's tally per bucket (the last is +Inf)
// and the sum of what it counted, merged into the histogram once per job
// so that the per-viewer path touches no shared memory.
type latencyCounts struct {
	n     [len(forwardBuckets) + 1]uint32
	sumNs int64
}

// latencyStride is how many subscribers a fan-out serves between two
// readings of the clock; each is counted with the later reading, an
// overestimate of at most latencyStride-1 writes (well under 0.1 ms).
const latencyStride = 8

// add counts n subscribers written to ns after the packet was read.
func (c *latencyCounts) add(ns int64, n int) {
	c.sumNs += ns * int64(n)
	s := float64(ns) / 1e9
	for i, le := range forwardBuckets {
		if s <= le {
			c.n[i] += uint32(n)
			return
		}
	}
	c.n[len(forwardBuckets)] += uint32(n)
}

// latencyHistogram is a Prometheus histogram fed a job's counts at a time.
type latencyHistogram struct {
	desc  *prometheus.Desc
	n     [len(forwardBuckets) + 1]atomic.Uint64
	sumNs atomic.Int64
}

func newLatencyHistogram(name, help string) *latencyHistogram {
	return &latencyHistogram{desc: prometheus.NewDesc(name, help, nil, nil)}
}

// merge adds c; a nil histogram records nothing.
func (h *latencyHistogram) merge(c *latencyCounts) {
	if h == nil {
		return
	}
	for i, n := range c.n {
		if n > 0 {
			h.n[i].Add(uint64(n))
		}
	}
	h.sumNs.Add(c.sumNs)
}

// Describe implements prometheus.Collector.
func (h *latencyHistogram) Describe(ch chan<- *prometheus.Desc) { ch <- h.desc }

// Collect implements prometheus.Collector.
func (h *latencyHistogram) Collect(ch chan<- prometheus.Metric) {
	buckets := make(map[float64]uint64, len(forwardBuckets))
	var cum uint64
	for i, le := range forwardBuckets {
		cum += h.n[i].Load()
		buckets[le] = cum
	}
	cum += h.n[len(forwardBuckets)].Load()
	ch <- prometheus.MustNewConstHistogram(h.desc, cum, float64(h.sumNs.Load())/1e9, buckets)
}
