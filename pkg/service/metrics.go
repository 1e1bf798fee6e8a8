package service

import (
	"context"
	"net/http"
	"time"

	"bookshop/pkg/outbox"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type counters struct {
	messages     *prometheus.CounterVec
	batchSeconds prometheus.Histogram
	published    prometheus.Counter
	pruned       *prometheus.CounterVec
}

// newMetrics builds the program's own registry (no global state) with the
// metrics every program has.
func newMetrics(s *Service) (*prometheus.Registry, counters) {
	reg := prometheus.NewRegistry()
	c := counters{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_messages_total",
			Help: "Messages consumed, by type and outcome (ok, retry, dead_letter).",
		}, []string{"type", "outcome"}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bookshop_batch_seconds",
			Help:    "Time to handle and commit one batch of deliveries.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bookshop_outbox_published_total",
			Help: "Outbox messages confirmed by the broker.",
		}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bookshop_pruned_rows_total",
			Help: "Rows deleted by retention, by table.",
		}, []string{"table"}),
	}
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bookshop_outbox_backlog",
		Help: "Outbox messages not yet confirmed by the broker.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := outbox.Backlog(ctx, s.DB)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	connected := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bookshop_amqp_connected",
		Help: "1 while the consumer is connected to RabbitMQ.",
	}, func() float64 {
		if s.consumer != nil && s.consumer.Connected() {
			return 1
		}
		return 0
	})
	sent := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "bookshop_amqp_published_total",
		Help: "AMQP messages confirmed by the broker: a pack of outbox messages counts once.",
	}, func() float64 { return float64(s.Publisher.Sent()) })
	reg.MustRegister(c.messages, c.batchSeconds, c.published, c.pruned, backlog, connected, sent,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, c
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}
