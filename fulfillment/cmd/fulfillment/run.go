package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"bookshop/fulfillment"
	"bookshop/fulfillment/httpapi"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/config"
	"bookshop/pkg/inbox"
	"bookshop/pkg/service"
)

const name = "fulfillment"

// Config is every key fulfillment reads.
type Config struct {
	config.Common `mapstructure:",squash"`
	Catalog       CatalogConfig  `mapstructure:"catalog"`
	Delivery      DeliveryConfig `mapstructure:"delivery"`
}

// CatalogConfig locates the book list whose stock seeds a new database.
type CatalogConfig struct {
	Path string `mapstructure:"path"`
}

// DeliveryConfig shapes the deliveries fulfillment schedules.
type DeliveryConfig struct {
	BusinessDays int `mapstructure:"business_days"` // from scheduling to the expected date
}

// MaxBusinessDays bounds delivery.business_days.
const MaxBusinessDays = 60

func defaults() Config {
	return Config{
		Common:   config.Defaults(name, "127.0.0.1:8083"),
		Catalog:  CatalogConfig{Path: "configs/catalog.yaml"},
		Delivery: DeliveryConfig{BusinessDays: 3},
	}
}

// Validate names the first key whose value fulfillment cannot use.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	switch {
	case c.Catalog.Path == "":
		return config.KeyError("catalog.path", "must not be empty")
	case c.Delivery.BusinessDays < 1 || c.Delivery.BusinessDays > MaxBusinessDays:
		return config.KeyError("delivery.business_days", fmt.Sprintf("must be between 1 and %d", MaxBusinessDays))
	}
	return nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg := defaults()
	if err := config.Load(name, args, getenv, &cfg); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cat, err := catalog.Load(cfg.Catalog.Path)
	if err != nil {
		return config.KeyError("catalog.path", err.Error())
	}
	svc, err := service.New(ctx, name, cfg.Common, stdout, fsqlite.Migrations)
	if err != nil {
		return err
	}
	if err := wire(ctx, svc, cfg, cat); err != nil {
		return errors.Join(err, svc.DB.Close())
	}
	return svc.Run(ctx)
}

// wire seeds the stock and plugs the domain, its metrics and its routes into svc.
func wire(ctx context.Context, svc *service.Service, cfg Config, cat *catalog.Catalog) error {
	added, err := fsqlite.SeedStock(ctx, svc.DB, cat.Books)
	if err != nil {
		return err
	}
	svc.Log.Info("stock seeded from catalog", "catalog", cfg.Catalog.Path, "books", len(cat.Books), "added", added)
	store := fsqlite.New(svc.DB)
	metrics, err := fulfillment.NewMetrics(svc.Metrics, store.Stock)
	if err != nil {
		return err
	}
	f := fulfillment.New(fulfillment.Deps{
		Store:        fsqlite.ForTx,
		BusinessDays: cfg.Delivery.BusinessDays,
		Log:          svc.Log,
		Metrics:      metrics,
	})
	svc.Consume(f.Handle, inbox.Resend, inbox.Optimistic) // its effects are all in the transaction
	order := make([]string, len(cat.Books))
	for i, b := range cat.Books {
		order[i] = b.ISBN
	}
	httpapi.Routes(svc.Mux, store, order, svc.Log)
	return nil
}
