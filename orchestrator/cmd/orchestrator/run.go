package main

import (
	"context"
	"io"
	"math/rand/v2"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/httpapi"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/config"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/retry"
	"bookshop/pkg/service"
)

// Config is every key the orchestrator reads.
type Config struct {
	config.Common `mapstructure:",squash"`
	Saga          struct {
		StepTimeout  time.Duration `mapstructure:"step_timeout"`
		MaxAttempts  int           `mapstructure:"max_attempts"`
		ScanInterval time.Duration `mapstructure:"scan_interval"`
		// HistoryRetention is how long a finished saga keeps its timeline.
		HistoryRetention time.Duration `mapstructure:"history_retention"`
		Backoff          struct {
			Initial time.Duration `mapstructure:"initial"`
			Max     time.Duration `mapstructure:"max"`
		} `mapstructure:"backoff"`
	} `mapstructure:"saga"`
	Admin struct {
		Token         string `mapstructure:"token"`
		ReadonlyToken string `mapstructure:"readonly_token"`
	} `mapstructure:"admin"`
}

func defaults() *Config {
	c := &Config{Common: config.Defaults("orchestrator", "127.0.0.1:8081")}
	c.Saga.StepTimeout = 10 * time.Second
	c.Saga.MaxAttempts = 5
	c.Saga.ScanInterval = 250 * time.Millisecond
	c.Saga.HistoryRetention = 30 * 24 * time.Hour
	c.Saga.Backoff.Initial = time.Second
	c.Saga.Backoff.Max = 30 * time.Second
	return c
}

// Validate names the first key the orchestrator cannot use.
func (c *Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	switch {
	case c.Saga.StepTimeout <= 0:
		return config.KeyError("saga.step_timeout", "must be positive")
	case c.Saga.MaxAttempts < 1:
		return config.KeyError("saga.max_attempts", "must be at least 1")
	case c.Saga.ScanInterval <= 0:
		return config.KeyError("saga.scan_interval", "must be positive")
	case c.Saga.HistoryRetention < time.Second:
		return config.KeyError("saga.history_retention", "must be at least 1s")
	case c.Saga.Backoff.Initial <= 0:
		return config.KeyError("saga.backoff.initial", "must be positive")
	case c.Saga.Backoff.Max < c.Saga.Backoff.Initial:
		return config.KeyError("saga.backoff.max", "must be at least saga.backoff.initial")
	case len(c.Admin.Token) < 16:
		return config.KeyError("admin.token", "must be set, at least 16 characters (ORCHESTRATOR_ADMIN_TOKEN)")
	case c.Admin.ReadonlyToken != "" && len(c.Admin.ReadonlyToken) < 16:
		return config.KeyError("admin.readonly_token", "must be at least 16 characters when set (ORCHESTRATOR_ADMIN_READONLY_TOKEN)")
	case c.Admin.ReadonlyToken == c.Admin.Token:
		return config.KeyError("admin.readonly_token", "must differ from admin.token")
	}
	return nil
}

func newOrchestrator(cfg *Config, machine *orchestrator.Machine, svc *service.Service, m *metrics) *orchestrator.Orchestrator {
	return &orchestrator.Orchestrator{
		Engine: &orchestrator.Engine{
			Machine:     machine,
			StepTimeout: cfg.Saga.StepTimeout,
			Backoff: retry.Policy{Initial: cfg.Saga.Backoff.Initial, Coefficient: 2,
				Max: cfg.Saga.Backoff.Max, MaxAttempts: cfg.Saga.MaxAttempts},
			NewID: msg.NewID,
			Rand:  rand.Float64,
		},
		Store:    sqlite.Store{},
		Log:      svc.Log,
		Now:      time.Now,
		Observer: m.observer(),
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg := defaults()
	if err := config.Load("orchestrator", args, getenv, cfg); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	machine, err := orchestrator.Purchase.Compile()
	if err != nil {
		return err
	}
	svc, err := service.New(ctx, "orchestrator", cfg.Common, stdout, sqlite.Migrations)
	if err != nil {
		return err
	}
	// Nothing below can fail before Run, which closes what New opened.
	reader, dl := sqlite.Reader{DB: svc.DB}, newDeadLetters(cfg.Common)
	m := newMetrics(svc, reader, machine, dl)
	o := newOrchestrator(cfg, machine, svc, m)
	svc.Consume(o.Handle, inbox.Ignore, inbox.Optimistic) // its effects are all in the transaction
	scanner := &orchestrator.Scanner{O: o, DB: svc.DB, Batch: 100, Notify: svc.Relay.Notify}
	svc.Every("timeout scanner", cfg.Saga.ScanInterval, scanner.ScanDue)
	svc.Prune("saga_history", cfg.Saga.HistoryRetention, func(ctx context.Context, cutoff time.Time) (int64, error) {
		return sqlite.PruneHistory(ctx, svc.DB, orchestrator.Purchase.Terminal, cutoff)
	})
	admin := &httpapi.Admin{Reader: reader, Machine: machine, Token: cfg.Admin.Token,
		ReadOnlyToken: cfg.Admin.ReadonlyToken, Now: time.Now, Orchestrator: o, DB: svc.DB,
		Notify: svc.Relay.Notify, DeadLetters: dl, Log: svc.Log, Observe: m.action}
	admin.Routes(svc.Mux)
	return svc.Run(ctx)
}
