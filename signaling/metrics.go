package signaling

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the livesell_signaling_* collectors.
type metrics struct {
	svc       *Service
	requests  *prometheus.CounterVec
	sessions  *prometheus.CounterVec
	redirects *prometheus.CounterVec
	pubDesc   *prometheus.Desc
	viewDesc  *prometheus.Desc
}

func newMetrics(s *Service) *metrics {
	return &metrics{
		svc: s,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livesell_signaling_requests_total",
			Help: "WHIP and WHEP requests by resource (whip, whep), method and status.",
		}, []string{"resource", "method", "status"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livesell_signaling_sessions_total",
			Help: "WHIP and WHEP sessions started.",
		}, []string{"resource"}),
		redirects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "livesell_signaling_redirects_total",
			Help: "WHEP requests redirected (307) to the node holding the room's publisher.",
		}, []string{"resource"}),
		pubDesc: prometheus.NewDesc("livesell_signaling_publishers",
			"WHIP sessions on this node.", nil, nil),
		viewDesc: prometheus.NewDesc("livesell_signaling_viewers",
			"WHEP sessions on this node by the state of their room (live: its publisher is sending, waiting: it is away).", []string{"state"}, nil),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.requests, m.sessions, m.redirects, m} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe implements prometheus.Collector for the session gauges.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.pubDesc
	ch <- m.viewDesc
}

// Collect implements prometheus.Collector: gauges computed at scrape time
// from the session registry and the engine.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	pubs, viewers := m.svc.sessions.counts()
	var live, waiting int
	for room, n := range viewers {
		if m.svc.opt.Engine.RoomLive(room) {
			live += n
		} else {
			waiting += n
		}
	}
	ch <- prometheus.MustNewConstMetric(m.pubDesc, prometheus.GaugeValue, float64(pubs))
	ch <- prometheus.MustNewConstMetric(m.viewDesc, prometheus.GaugeValue, float64(live), "live")
	ch <- prometheus.MustNewConstMetric(m.viewDesc, prometheus.GaugeValue, float64(waiting), "waiting")
}

func (m *metrics) request(res, method string, status int) {
	m.requests.WithLabelValues(res, method, strconv.Itoa(status)).Inc()
}

func (m *metrics) sessionStarted(r *resource) { m.sessions.WithLabelValues(r.kind.String()).Inc() }

func (m *metrics) sessionEnded(*resource) {}

func (m *metrics) redirect(res string) { m.redirects.WithLabelValues(res).Inc() }
