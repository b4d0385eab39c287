package reminder

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's collectors (nil-safe: without a registry
// nothing is counted).
type metrics struct {
	deliveries *prometheus.CounterVec   // channel, outcome
	lag        *prometheus.HistogramVec // kind
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "livesell", Subsystem: "reminder", Name: "deliveries_total",
			Help: "Reminder deliveries per channel and outcome (sent, skipped: not deliverable there, failed: retried later)."}, []string{"channel", "outcome"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "livesell", Subsystem: "reminder", Name: "send_lag_seconds",
			Help:    "How long after its due time a reminder was sent.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600}}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.lag} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("reminder: metrics: %w", err)
			}
		}
	}
	return m, nil
}

func (m *metrics) delivery(channel, outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(channel, outcome).Inc()
	}
}

func (m *metrics) sent(kind string, lagSeconds float64) {
	if m != nil {
		if len(kind) > 6 && kind[:6] == "start_" {
			kind = "start"
		}
		m.lag.WithLabelValues(kind).Observe(max(lagSeconds, 0))
	}
}
