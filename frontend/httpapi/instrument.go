package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// latency measures request durations by route (the mux pattern) and status.
type latency struct {
	hist *prometheus.HistogramVec // nil: not measured
}

func newLatency(reg prometheus.Registerer) (latency, error) {
	if reg == nil {
		return latency{}, nil
	}
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "bookshop_frontend_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route and status code (live streams excluded).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"route", "code"})
	if err := reg.Register(h); err != nil {
		return latency{}, fmt.Errorf("register request latency metric: %w", err)
	}
	return latency{hist: h}, nil
}

func (l latency) measure(route string, next http.Handler) http.Handler {
	if l.hist == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		l.hist.WithLabelValues(route, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
