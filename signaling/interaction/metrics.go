package interaction

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/livesell/livesell/signaling/interaction/protocol"
)

// metrics are the hub's Prometheus series; the zero value (no registry)
// counts into unregistered collectors.
type metrics struct {
	accepted *prometheus.CounterVec // by type
	refused  *prometheus.CounterVec // by code
	members  prometheus.Gauge
	batches  prometheus.Counter
	dropped  prometheus.Counter
	// writeDelay is the time from a batch's encoding to its write to one
	// viewer's transport returning (queueing, scheduling, the write).
	writeDelay prometheus.Histogram

	acceptedBy map[string]prometheus.Counter
	refusedBy  map[string]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livesell_chat_messages_accepted_total", Help: "Inbound room messages accepted, by type.",
		}, []string{"type"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livesell_chat_messages_refused_total", Help: "Inbound room messages refused, by error code.",
		}, []string{"code"}),
		members: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "livesell_chat_members", Help: "Connections (data channels and WebSockets) receiving room events on this node.",
		}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "livesell_chat_batches_total", Help: "Batches encoded (once per room and interval, shared by its viewers).",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "livesell_chat_room_dropped_total", Help: "Danmaku a room dropped because more arrived in one interval than it keeps.",
		}),
		writeDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "livesell_chat_batch_write_delay_seconds",
			Help:    "Time from a batch's encoding to its write to one viewer completing.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		acceptedBy: map[string]prometheus.Counter{},
		refusedBy:  map[string]prometheus.Counter{},
	}
	for _, t := range []string{protocol.TypeDanmaku, protocol.TypeLike, protocol.TypeClick, protocol.TypeWant, protocol.TypePin,
		protocol.TypeDelete, protocol.TypeMute, protocol.TypeBan, protocol.TypePing, protocol.TypeHello} {
		m.acceptedBy[t] = m.accepted.WithLabelValues(t)
	}
	for _, c := range []string{protocol.CodeInvalidMessage, protocol.CodeTooLong, protocol.CodeBlockedWord, protocol.CodeRateLimited,
		protocol.CodeMuted, protocol.CodeBanned, protocol.CodeLoginRequired, protocol.CodeForbidden, protocol.CodeInvalidToken,
		protocol.CodeInternal} {
		m.refusedBy[c] = m.refused.WithLabelValues(c)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.accepted, m.refused, m.members, m.batches, m.dropped, m.writeDelay} {
			if err := reg.Register(c); err != nil {
				// Registered twice (two hubs on one registry in tests): keep counting locally.
				continue
			}
		}
	}
	return m
}

func (m *metrics) accept(typ string) {
	if c, ok := m.acceptedBy[typ]; ok {
		c.Inc()
	}
}

func (m *metrics) refuse(code string) {
	if c, ok := m.refusedBy[code]; ok {
		c.Inc()
	}
}
