package sfu

import "github.com/prometheus/client_golang/prometheus"

// relayMetrics are the cascade's collectors (livesell_sfu_relay_*).
type relayMetrics struct {
	packets prometheus.Counter
	links   prometheus.GaugeFunc
	sources prometheus.GaugeFunc
}

// newRelayMetrics builds the cascade collectors of e and registers them
// on reg when it is non-nil.
func newRelayMetrics(e *Engine, reg prometheus.Registerer) (*relayMetrics, error) {
	m := &relayMetrics{
		packets: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "livesell", Subsystem: "sfu", Name: "relay_packets_out_total",
			Help: "RTP packets sent to edge nodes over cascade links (also counted in packets_out_total)."}),
		links: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "livesell", Subsystem: "sfu", Name: "relay_links",
			Help: "Edge nodes this node feeds (origin side of cascade links)."}, func() float64 { return float64(e.relay.links.Load()) }),
		sources: prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "livesell", Subsystem: "sfu", Name: "relay_sources",
			Help: "Rooms this node receives from an origin node (edge side of cascade links)."}, func() float64 { return float64(e.relay.sources.Load()) }),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.packets, m.links, m.sources} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
