package frontend

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the frontend's own Prometheus metrics.
type Metrics struct {
	statusEvents *prometheus.CounterVec
}

// NewMetrics registers the frontend's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{statusEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bookshop_frontend_order_status_events_total",
		Help: "OrderStatusChanged events handled: applied to the order view, or stale (an equal or later version was already there).",
	}, []string{"result"})}
	for _, result := range []string{"applied", "stale"} {
		m.statusEvents.WithLabelValues(result) // show 0 before the first event
	}
	if err := reg.Register(m.statusEvents); err != nil {
		return nil, fmt.Errorf("register frontend metrics: %w", err)
	}
	return m, nil
}

func (m *Metrics) statusEvent(applied bool) {
	if m == nil {
		return
	}
	result := "stale"
	if applied {
		result = "applied"
	}
	m.statusEvents.WithLabelValues(result).Inc()
}
