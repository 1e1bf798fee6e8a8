package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"bookshop/billing"
	"bookshop/billing/gateway"
	"bookshop/billing/httpapi"
	"bookshop/billing/sqlite"
	"bookshop/pkg/inbox"
	"bookshop/pkg/service"
)

// run is the whole program: tests call it with their own arguments,
// environment and a context they cancel.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) (err error) {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	gw, err := newGateway(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := gw.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close card gateway: %w", cerr))
		}
	}()
	svc, err := service.New(ctx, name, cfg.Common, stdout, sqlite.Migrations)
	if err != nil {
		return err
	}
	metrics, err := billing.NewMetrics(svc.Metrics)
	if err != nil {
		_ = svc.DB.Close()
		return err
	}
	b := billing.New(billing.Deps{
		Ledger:  sqlite.NewLedger,
		Gateway: gw,
		Retry:   cfg.Gateway.Retry.policy(),
		Log:     svc.Log,
		Metrics: metrics,
	})
	// The gateway answers a repeated call by its idempotency key, so a
	// handler run twice moves no money twice.
	svc.Consume(b.Handle, inbox.Resend, inbox.Optimistic)
	httpapi.Register(svc.Mux, sqlite.Payments{DB: svc.DB}, svc.Log)
	return svc.Run(ctx)
}

func newGateway(ctx context.Context, cfg Config) (*gateway.Gateway, error) {
	gw, err := gateway.Open(ctx, cfg.Gateway.DatabasePath, gateway.Options{
		Latency:     cfg.Gateway.Latency,
		FailureRate: cfg.Gateway.FailureRate,
		Synchronous: cfg.Gateway.Synchronous,
	})
	if err != nil {
		return nil, fmt.Errorf("config key gateway.database_path: %w", err)
	}
	return gw, nil
}
