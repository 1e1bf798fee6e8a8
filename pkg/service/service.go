// Package service is the runtime every bookshop program shares: logger,
// database, broker consumer and outbox relay, the HTTP server with /healthz,
// /readyz and /metrics, and shutdown within a grace period on SIGTERM. A
// program's run function builds its domain on top and calls Run.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"bookshop/pkg/config"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
)

// Service is one running program's shared parts.
type Service struct {
	Name      string
	Config    config.Common
	Log       *slog.Logger
	DB        *sqlx.DB
	Publisher *rabbit.Publisher
	Relay     *outbox.Relay
	Metrics   *prometheus.Registry
	Mux       *http.ServeMux // add the program's own routes here

	consumer *rabbit.Consumer
	loops    []loop
	counters counters
}

type loop struct {
	name string
	run  func(ctx context.Context) error
}

// New opens the program's database (its migrations plus the outbox's and the
// inbox's) and prepares, without starting, its broker parts and HTTP routes.
func New(ctx context.Context, name string, cfg config.Common, stdout io.Writer, migrations ...fs.FS) (*Service, error) {
	log := NewLogger(stdout, cfg.Log).With("service", name)
	tuneGC(os.Getenv)
	all := append([]fs.FS{outbox.Migrations, inbox.Migrations}, migrations...)
	db, err := sqlite.Open(ctx, cfg.Database.Path, sqlite.Options{Synchronous: cfg.Database.Synchronous}, all...)
	if err != nil {
		return nil, fmt.Errorf("config key database.path: %w", err)
	}
	s := &Service{Name: name, Config: cfg, Log: log, DB: db, Mux: http.NewServeMux()}
	s.Publisher = rabbit.NewPublisher(s.rabbitConfig("publisher"), log)
	s.Metrics, s.counters = newMetrics(s)
	s.Relay = outbox.NewRelay(db, s.Publisher, log, outbox.RelayOptions{
		OnPublished: func(n int) { s.counters.published.Add(float64(n)) },
	})
	s.Mux.HandleFunc("GET /healthz", s.healthz)
	s.Mux.HandleFunc("GET /readyz", s.readyz)
	s.Mux.Handle("GET /metrics", metricsHandler(s.Metrics))
	if cfg.Debug.PProf {
		servePProf(s.Mux)
		log.Warn("serving /debug/pprof/ (config key debug.pprof)")
	}
	return s, nil
}

func (s *Service) rabbitConfig(role string) rabbit.Config {
	return rabbit.Config{
		URL:            s.Config.AMQP.URL,
		ConnectionName: s.Name + "-" + role,
		Prefetch:       s.Config.AMQP.Prefetch,
		BatchSize:      s.Config.AMQP.BatchSize,
		BatchWait:      s.Config.AMQP.BatchWait,
		Pack:           s.Config.AMQP.PackSize,
		RequeueDelay:   s.Config.AMQP.RequeueDelay,
	}
}

// Consume makes the program consume its own queue with h, each batch of
// deliveries in one transaction, isolated from each other as iso says.
func (s *Service) Consume(h inbox.Handler, dup inbox.Duplicates, iso inbox.Isolation) {
	p := &inbox.Processor{DB: s.DB, Handle: h, Duplicates: dup, Isolation: iso,
		KeepReplies: s.Config.Database.InboxKeepReplies, AfterCommit: s.Relay.Notify, Log: s.Log}
	s.consumer = rabbit.NewConsumer(s.rabbitConfig("consumer"), s.Name, s.batchHandler(p), s.Log)
	s.pruneInbox()
}

func (s *Service) batchHandler(p *inbox.Processor) rabbit.BatchHandler {
	return func(ctx context.Context, ds []rabbit.Delivery) []error {
		start := time.Now()
		bodies := make([][]byte, len(ds))
		for i, d := range ds {
			bodies[i] = d.Body
		}
		errs := p.HandleBatch(ctx, bodies)
		s.counters.batchSeconds.Observe(time.Since(start).Seconds())
		for i, err := range errs {
			outcome := "ok"
			switch {
			case msg.IsPermanent(err):
				outcome = "dead_letter"
			case err != nil:
				outcome = "retry"
				s.Log.Warn("message will be retried", "order_id", ds[i].CorrelationID,
					"message_id", ds[i].MessageID, "type", ds[i].Type, "err", err)
			}
			s.counters.messages.WithLabelValues(ds[i].Type, outcome).Inc()
		}
		return errs
	}
}

// Close releases what New opened; for a program that fails between New and
// Run (Run closes them itself).
func (s *Service) Close() error { return s.DB.Close() }

// Go adds a background loop that runs beside the consumer until shutdown.
func (s *Service) Go(name string, run func(ctx context.Context) error) {
	s.loops = append(s.loops, loop{name, run})
}

// Every adds a background loop that calls fn every interval until shutdown.
func (s *Service) Every(name string, interval time.Duration, fn func(ctx context.Context)) {
	s.Go(name, func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			fn(ctx)
		}
	})
}

// Run serves until ctx is cancelled, then stops taking work, lets what it
// holds finish, and returns within the shutdown grace period.
func (s *Service) Run(ctx context.Context) error {
	defer s.DB.Close()
	ln, err := net.Listen("tcp", s.Config.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("config key http.addr: %w", err)
	}
	srv := &http.Server{Handler: s.Mux, ReadHeaderTimeout: 10 * time.Second}
	s.Log.Info("started", "http_addr", ln.Addr().String(), "database", s.Config.Database.Path)

	var wg sync.WaitGroup
	errc := make(chan error, len(s.loops)+3)
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	start("outbox relay", s.Relay.Run)
	if s.consumer != nil {
		start("consumer", s.consumer.Run)
	}
	for _, l := range s.loops {
		start(l.name, l.run)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	return errors.Join(runErr, s.shutdown(srv, &wg))
}

func (s *Service) shutdown(srv *http.Server, wg *sync.WaitGroup) error {
	s.Log.Info("shutting down", "grace", s.Config.HTTP.ShutdownGrace)
	grace, cancel := context.WithTimeout(context.Background(), s.Config.HTTP.ShutdownGrace)
	defer cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	httpErr := srv.Shutdown(grace)
	select {
	case <-done:
	case <-grace.Done():
		return errors.New("shutdown: background work did not finish within http.shutdown_grace")
	}
	pubErr := s.Publisher.Close()
	s.Log.Info("stopped")
	return errors.Join(httpErr, pubErr)
}

func (s *Service) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Service) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var problems []string
	if err := s.DB.PingContext(ctx); err != nil {
		problems = append(problems, "database: "+err.Error())
	}
	if s.consumer != nil && !s.consumer.Connected() {
		problems = append(problems, "rabbitmq: not connected")
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{
			"status": "unavailable", "reason": strings.Join(problems, "; ")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
