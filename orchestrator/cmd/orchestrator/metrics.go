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
	actions       *prometheus.CounterVec
}

func newMetrics(svc *service.Service, reader sqlite.Reader, machine *orchestrator.Machine, dl *deadLetters) *metrics {
	m := &metrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_transitions_total",
			Help: "Saga transitions by target state and event."}, []string{"to", "event"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_retries_total",
			Help: "Commands sent again after a step timed out, by step."}, []string{"step"}),
		compensations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_compensations_total",
			Help: "Compensations started, by the step and the event that started them."}, []string{"step", "event"}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_saga_ignored_events_total",
			Help: "Late or duplicate replies acknowledged and ignored, by event."}, []string{"event"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "bookshop_admin_actions_total",
			Help: "Operators' actions through the admin API, by action and outcome (done, refused, not_found, replayed, key_reused, error)."},
			[]string{"action", "outcome"}),
	}
	svc.Metrics.MustRegister(m.transitions, m.retries, m.compensations, m.ignored, m.actions,
		newStateCollector(reader, machine), newDeadLetterCollector(dl))
	return m
}

func (m *metrics) observer() orchestrator.Observer {
	return orchestrator.Observer{
		Transition: func(from, to, event string) {
			m.transitions.WithLabelValues(to, event).Inc()
			switch event {
			case orchestrator.EvGaveUp, orchestrator.EvCancel, orchestrator.EvDeliveryFailed, orchestrator.EvOperatorCancel:
				m.compensations.WithLabelValues(from, event).Inc()
			}
		},
		Retry:   func(step string) { m.retries.WithLabelValues(step).Inc() },
		Ignored: func(event, _ string) { m.ignored.WithLabelValues(event).Inc() },
	}
}

func (m *metrics) action(action, outcome string) { m.actions.WithLabelValues(action, outcome).Inc() }

// stateCollector counts orders per state, and the stuck ones, at scrape
// time.
type stateCollector struct {
	reader                    sqlite.Reader
	machine                   *orchestrator.Machine
	perState, stuck, stuckAge *prometheus.Desc
}

func newStateCollector(reader sqlite.Reader, machine *orchestrator.Machine) *stateCollector {
	return &stateCollector{reader: reader, machine: machine,
		perState: prometheus.NewDesc("bookshop_saga_orders", "Orders per saga state.", []string{"state"}, nil),
		stuck: prometheus.NewDesc("bookshop_saga_stuck_orders",
			"Orders needing an operator: in stuck, or their step overdue.", nil, nil),
		stuckAge: prometheus.NewDesc("bookshop_saga_oldest_stuck_age_seconds",
			"How long the longest-waiting stuck or overdue order has waited (0 if none).", nil, nil)}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.perState
	ch <- c.stuck
	ch <- c.stuckAge
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.reader.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.perState, err)
		return
	}
	for _, s := range c.machine.States() {
		ch <- prometheus.MustNewConstMetric(c.perState, prometheus.GaugeValue, float64(counts[s]), s)
	}
	now := time.Now()
	st, err := c.reader.Stuck(ctx, now)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.stuck, err)
		return
	}
	age := 0.0
	if st.OldestSince != nil {
		age = now.Sub(*st.OldestSince).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.stuck, prometheus.GaugeValue, float64(st.Count))
	ch <- prometheus.MustNewConstMetric(c.stuckAge, prometheus.GaugeValue, age)
}

// deadLetterCollector asks the broker how many messages wait in each
// dead-letter queue at scrape time. While the broker is unreachable it
// reports nothing rather than fail the whole scrape.
type deadLetterCollector struct {
	dl   *deadLetters
	desc *prometheus.Desc
}

func newDeadLetterCollector(dl *deadLetters) *deadLetterCollector {
	return &deadLetterCollector{dl: dl, desc: prometheus.NewDesc("bookshop_dead_letters",
		"Messages waiting in each service's dead-letter queue.", []string{"queue"}, nil)}
}

func (c *deadLetterCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *deadLetterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.dl.Counts(ctx)
	if err != nil {
		return
	}
	for _, q := range c.dl.queues {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[q]), q)
	}
}
