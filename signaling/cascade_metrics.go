package signaling

import "github.com/prometheus/client_golang/prometheus"

// registerMetrics adds the cascade's edge-side collectors to reg
// (livesell_cascade_*); the origin side is in the sfu's
// livesell_sfu_relay_* collectors.
func (e *edges) registerMetrics(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livesell_cascade_relayed_rooms",
			Help: "Rooms this node relays as an edge, linked to their origin now (also announced in Redis with a TTL)."},
			func() float64 { return float64(e.count()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "livesell_cascade_link_attempts_total",
			Help: "Attempts of this node to link to a room's origin."},
			func() float64 { return float64(e.attempts.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livesell_cascade_depth",
			Help: "This node's tier in the cascade: the deepest of the rooms it relays now (1 linked to the origin, 2 through a regional edge, ...; 0 relays none)."},
			func() float64 { d, _ := e.depthTier(); return float64(d) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livesell_cascade_upstream_rooms",
			Help: "Rooms this node relays through its upstream (cascade-upstream) now; the others are linked to their origin."},
			func() float64 { _, n := e.depthTier(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "livesell_cascade_upstream_fallbacks_total",
			Help: "Links made to a room's origin directly because the upstream could not be linked."},
			func() float64 { return float64(e.fallbacks.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "livesell_cascade_relinks_total",
			Help: "Links made again after one ended (origin link lost, or the room moved to another origin)."},
			func() float64 { return float64(e.reconnects.Load()) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
