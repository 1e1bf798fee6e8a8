package main

import (
	"bookshop/communication"

	"github.com/prometheus/client_golang/prometheus"
)

// newEmailMetrics registers bookshop_emails_total on reg, with every
// template and outcome present from the start, and returns the observer the
// Mailer calls.
func newEmailMetrics(reg *prometheus.Registry) (func(template, outcome string), error) {
	emails := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bookshop_emails_total",
		Help: "SendEmail commands handled, by template and outcome (sent, duplicate, failed, rejected).",
	}, []string{"template", "outcome"})
	if err := reg.Register(emails); err != nil {
		return nil, err
	}
	for _, t := range communication.Templates {
		for _, o := range []string{communication.OutcomeSent, communication.OutcomeDuplicate,
			communication.OutcomeFailed, communication.OutcomeRejected} {
			emails.WithLabelValues(t, o)
		}
	}
	return func(template, outcome string) { emails.WithLabelValues(template, outcome).Inc() }, nil
}
