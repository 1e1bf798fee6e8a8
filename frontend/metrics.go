package frontend

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the frontend's own Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	statusEvents *prometheus.CounterVec
	accepted     prometheus.Counter
	checkouts    *prometheus.CounterVec
	cancels      *prometheus.CounterVec
}

// Outcomes, each shown as 0 before it first happens.
var (
	checkoutResults = []string{"accepted", "replayed", "invalid", "unknown_isbn",
		"idempotency_mismatch", "too_large", "unsupported_media_type", "error"}
	cancelResults = []string{"requested", "repeated", "refused", "not_found", "error"}
)

// NewMetrics registers the frontend's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		statusEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_frontend_order_status_events_total",
			Help: "OrderStatusChanged events handled: applied to the order view, or stale (an equal or later version was already there).",
		}, []string{"result"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bookshop_frontend_orders_accepted_total",
			Help: "Orders accepted at checkout (stored with their StartPurchase; replays not counted).",
		}),
		checkouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_frontend_checkouts_total",
			Help: "Checkout requests by result.",
		}, []string{"result"}),
		cancels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_frontend_cancel_requests_total",
			Help: "Customers' cancel requests by result (requested sends CancelPurchase; repeated sends nothing more).",
		}, []string{"result"}),
	}
	for _, r := range []string{"applied", "stale"} {
		m.statusEvents.WithLabelValues(r)
	}
	for _, r := range checkoutResults {
		m.checkouts.WithLabelValues(r)
	}
	for _, r := range cancelResults {
		m.cancels.WithLabelValues(r)
	}
	for _, c := range []prometheus.Collector{m.statusEvents, m.accepted, m.checkouts, m.cancels} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register frontend metrics: %w", err)
		}
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

// Checkout counts a checkout result that the HTTP layer decides alone
// (too_large, unsupported_media_type, invalid for a malformed body).
func (m *Metrics) Checkout(result string) { m.checkout(result) }

func (m *Metrics) checkout(result string) {
	if m == nil {
		return
	}
	m.checkouts.WithLabelValues(result).Inc()
	if result == "accepted" {
		m.accepted.Inc()
	}
}

func (m *Metrics) cancel(result string) {
	if m == nil {
		return
	}
	m.cancels.WithLabelValues(result).Inc()
}
