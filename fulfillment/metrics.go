package fulfillment

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are fulfillment's own Prometheus metrics. The counter counts
// handling attempts: a batch whose commit fails is counted again when it is
// redelivered.
type Metrics struct {
	deliveries *prometheus.CounterVec
}

// NewMetrics registers fulfillment's metrics on reg: deliveries by outcome,
// and the stock of each title as read by stock at scrape time.
func NewMetrics(reg prometheus.Registerer, stock func(context.Context) ([]StockLevel, error)) (*Metrics, error) {
	m := &Metrics{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bookshop_fulfillment_deliveries_total",
		Help: "Delivery commands handled, by outcome (scheduled, already_scheduled, out_of_stock, " +
			"unknown_isbn, order_cancelled, cancelled, cancel_noop).",
	}, []string{"outcome"})}
	sc := stockCollector{
		list: stock,
		available: prometheus.NewDesc("bookshop_fulfillment_stock_available",
			"Copies of a title that can still be reserved.", []string{"isbn"}, nil),
		reserved: prometheus.NewDesc("bookshop_fulfillment_stock_reserved",
			"Copies of a title reserved for scheduled deliveries.", []string{"isbn"}, nil),
	}
	for _, c := range []prometheus.Collector{m.deliveries, sc} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register fulfillment metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one handled command; a nil Metrics counts nothing.
func (m *Metrics) observe(outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}

// stockCollector reads the stock table on each scrape.
type stockCollector struct {
	list                func(context.Context) ([]StockLevel, error)
	available, reserved *prometheus.Desc
}

func (c stockCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.available
	ch <- c.reserved
}

func (c stockCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	levels, err := c.list(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.available, fmt.Errorf("read stock: %w", err))
		return
	}
	for _, l := range levels {
		ch <- prometheus.MustNewConstMetric(c.available, prometheus.GaugeValue, float64(l.Available), l.ISBN)
		ch <- prometheus.MustNewConstMetric(c.reserved, prometheus.GaugeValue, float64(l.Reserved), l.ISBN)
	}
}
