package main

import (
	"context"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/service"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	transitions   *prometheus.CounterVec
	retries       *prometheus.CounterVec
	compensations *prometheus.CounterVec
	ignored       *prometheus.CounterVec
}

func newMetrics(svc *service.Service, reader sqlite.Reader, machine *orchestrator.Machine) *metrics {
	m := &metrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_transitions_total",
			Help: "Saga transitions by target state and event."}, []string{"to", "event"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_retries_total",
			Help: "Commands sent again after a step timed out, by step."}, []string{"step"}),
		compensations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_compensations_total",
			Help: "Compensations started, by the step and the event that started them."}, []string{"step", "event"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_ignored_events_total",
			Help: "Late or duplicate replies acknowledged and ignored, by event."}, []string{"event"}),
	}
	svc.Metrics.MustRegister(m.transitions, m.retries, m.compensations, m.ignored,
		&stateCollector{reader: reader, machine: machine, desc: prometheus.NewDesc("bookshop_saga_orders",
			"Orders per saga state.", []string{"state"}, nil)})
	return m
}

func (m *metrics) observer() orchestrator.Observer {
	return orchestrator.Observer{
		Transition: func(from, to, event string) {
			m.transitions.WithLabelValues(to, event).Inc()
			if event == orchestrator.EvGaveUp || event == orchestrator.EvCancel || event == orchestrator.EvDeliveryFailed {
				m.compensations.WithLabelValues(from, event).Inc()
			}
		},
		Retry:   func(step string) { m.retries.WithLabelValues(step).Inc() },
		Ignored: func(event, _ string) { m.ignored.WithLabelValues(event).Inc() },
	}
}

// stateCollector counts orders per state at scrape time.
type stateCollector struct {
	reader  sqlite.Reader
	machine *orchestrator.Machine
	desc    *prometheus.Desc
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.reader.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range c.machine.States() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
