package chat

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the chat core's operational counters. Labels never carry
// anything about a person: no addresses, agents, ids or text.
type Metrics struct {
	Connections   *prometheus.GaugeVec   // by role: seeker, staff
	Stored        prometheus.Counter     // messages durably stored
	BatchSize     prometheus.Histogram   // messages per store round trip
	BatchSeconds  prometheus.Histogram   // time to store one batch
	SlowClosed    prometheus.Counter     // connections closed for not keeping up
	FramesRefused *prometheus.CounterVec // by error code
}

// NewMetrics registers the chat metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "helpline_connections",
			Help: "Open WebSocket connections on this instance."}, []string{"role"}),
		Stored: prometheus.NewCounter(prometheus.CounterOpts{Name: "helpline_messages_stored_total",
			Help: "Messages durably stored by this instance."}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "helpline_store_batch_messages",
			Help: "Messages stored per batch.", Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
		BatchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "helpline_store_batch_seconds",
			Help: "Time to store one batch.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12)}),
		SlowClosed: prometheus.NewCounter(prometheus.CounterOpts{Name: "helpline_slow_connections_closed_total",
			Help: "Connections closed because they could not keep up (4001)."}),
		FramesRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "helpline_frames_refused_total",
			Help: "Client frames answered with an error, by code."}, []string{"code"}),
	}
	reg.MustRegister(m.Connections, m.Stored, m.BatchSize, m.BatchSeconds, m.SlowClosed, m.FramesRefused)
	return m
}

// discardMetrics backs a Service built without metrics.
func discardMetrics() *Metrics { return NewMetrics(prometheus.NewRegistry()) }
