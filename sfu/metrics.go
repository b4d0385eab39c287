package sfu

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metrics are the engine's Prometheus collectors. They always exist (so the
// hot path needs no nil checks) and are registered only when
// Config.Metrics is set.
type metrics struct {
	rooms, publishers, viewers prometheus.Gauge
	bitrateIn, bitrateOut      prometheus.Gauge
	bytesIn, bytesOut          prometheus.Counter
	packetsIn, packetsOut      prometheus.Counter
	lost                       prometheus.Counter
	nacks                      prometheus.Counter
	retransmits                prometheus.Counter
	plis                       prometheus.Counter
	switches                   prometheus.Counter
	replays                    prometheus.Counter
	shed                       prometheus.Counter
	fanout                     prometheus.Histogram
	forward                    *latencyHistogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "livesell", Subsystem: "sfu", Name: name, Help: help})
	}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "livesell", Subsystem: "sfu", Name: name, Help: help})
	}
	m := &metrics{
		rooms:       g("rooms", "Rooms with a publisher or viewers."),
		publishers:  g("publishers", "Publisher sessions."),
		viewers:     g("viewers", "Subscriber sessions."),
		bitrateIn:   g("bitrate_in_bps", "Media received from publishers, bits per second (last 500 ms)."),
		bitrateOut:  g("bitrate_out_bps", "Media sent to subscribers, bits per second (last 500 ms)."),
		bytesIn:     c("bytes_in_total", "RTP bytes received from publishers."),
		bytesOut:    c("bytes_out_total", "RTP bytes forwarded to subscribers."),
		packetsIn:   c("packets_in_total", "RTP packets received from publishers."),
		packetsOut:  c("packets_out_total", "RTP packets forwarded to subscribers."),
		lost:        c("packets_lost_total", "Packets missing from publishers' streams (sequence gaps)."),
		nacks:       c("nacks_total", "Packets subscribers asked to retransmit (NACK)."),
		retransmits: c("retransmits_total", "Packets sent again to subscribers after a NACK (over RTX where negotiated)."),
		plis:        c("plis_sent_total", "Keyframe requests (PLI) sent to publishers after coalescing."),
		switches:    c("layer_switches_total", "Simulcast layer switches of subscribers."),
		replays:     c("keyframe_cache_replays_total", "Viewers started from a layer's keyframe cache."),
		shed:        c("packets_shed_total", "Publisher packets not forwarded to anyone because the fan-out fell behind (until the next keyframe handled in time)."),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "livesell", Subsystem: "sfu", Name: "fanout_seconds",
			Help:    "Time from reading a publisher's packet to having written it to every subscriber.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .004, .006, .008, .01, .015, .02, .03, .05, .1, .25, .5, 1},
		}),
		forward: newLatencyHistogram("livesell_sfu_forward_latency_seconds",
			"Time from reading a publisher's packet to having written it to one subscriber, per packet and subscriber."),
	}
	if reg == nil {
		return m, nil
	}
	for _, col := range []prometheus.Collector{m.rooms, m.publishers, m.viewers, m.bitrateIn, m.bitrateOut,
		m.bytesIn, m.bytesOut, m.packetsIn, m.packetsOut, m.lost, m.nacks, m.retransmits, m.plis, m.switches, m.replays, m.shed, m.fanout, m.forward} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// counterValue reads a counter's current value.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}
