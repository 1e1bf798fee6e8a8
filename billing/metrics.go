package billing

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are what an operator asks of billing first: how charges and
// refunds end, and how the gateway behaves. Counters count handling
// attempts; a batch whose commit fails is counted again when redelivered.
type Metrics struct {
	charges        *prometheus.CounterVec
	refunds        *prometheus.CounterVec
	gatewaySeconds *prometheus.HistogramVec
}

// Charge outcomes: succeeded, declined, existing (already charged),
// blocked (refunded first), failed (gateway retries exhausted).
// Refund outcomes: succeeded, noop, existing, failed.

// NewMetrics creates billing's metrics and registers them on reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		charges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_billing_charges_total",
			Help: "ChargePayment commands handled, by outcome (succeeded, declined, existing, blocked, failed).",
		}, []string{"outcome"}),
		refunds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_billing_refunds_total",
			Help: "RefundPayment commands handled, by outcome (succeeded, noop, existing, failed).",
		}, []string{"outcome"}),
		gatewaySeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bookshop_billing_gateway_call_seconds",
			Help:    "Duration of one card gateway call, by operation (charge, refund) and outcome (approved, declined, error).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"operation", "outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.charges, m.refunds, m.gatewaySeconds} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register billing metrics: %w", err)
		}
	}
	return m, nil
}
