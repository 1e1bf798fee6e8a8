package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"bookshop/frontend"
	"bookshop/frontend/httpapi"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/config"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/service"
)

const name = "frontend"

// Config is every key the frontend reads (configs/frontend.yaml).
type Config struct {
	config.Common `mapstructure:",squash"`
	Catalog       CatalogConfig `mapstructure:"catalog"`
	Live          LiveConfig    `mapstructure:"live"`
}

// CatalogConfig locates the book list.
type CatalogConfig struct {
	Path string `mapstructure:"path"`
}

// LiveConfig tunes the order pages' live streams (server-sent events).
type LiveConfig struct {
	// PollInterval is how often a stream looks for a change of its order.
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

func defaults() Config {
	return Config{
		Common:  config.Defaults(name, "127.0.0.1:8080"),
		Catalog: CatalogConfig{Path: "configs/catalog.yaml"},
		Live:    LiveConfig{PollInterval: 500 * time.Millisecond},
	}
}

// Validate names the first key whose value the frontend cannot use.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	if c.Catalog.Path == "" {
		return config.KeyError("catalog.path", "must not be empty")
	}
	if c.Live.PollInterval < 10*time.Millisecond || c.Live.PollInterval > time.Minute {
		return config.KeyError("live.poll_interval", "must be between 10ms and 1m")
	}
	return nil
}

func loadConfig(args []string, getenv func(string) string) (Config, error) {
	cfg := defaults()
	if err := config.Load(name, args, getenv, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// run starts the frontend and serves until ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
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
	if err := wire(ctx, svc, cat, cfg); err != nil {
		return errors.Join(err, svc.DB.Close())
	}
	return svc.Run(ctx)
}

// wire builds the domain on svc: what it consumes and the routes it serves.
// ctx ends the live streams at shutdown.
func wire(ctx context.Context, svc *service.Service, cat *catalog.Catalog, cfg Config) error {
	metrics, err := frontend.NewMetrics(svc.Metrics)
	if err != nil {
		return err
	}
	shop := frontend.NewShop(frontend.Deps{
		Catalog: cat, DB: svc.DB, Orders: fsqlite.Orders{}, Log: svc.Log,
		Now: time.Now, NewID: msg.NewID, Notify: svc.Relay.Notify, Metrics: metrics,
	})
	svc.Consume(shop.Handle, inbox.Ignore, inbox.Optimistic) // its effects are all in the transaction
	err = httpapi.Register(svc.Mux, shop, httpapi.Options{Log: svc.Log, Registry: svc.Metrics,
		ShopMetrics: metrics, Live: ctx, PollInterval: cfg.Live.PollInterval})
	if err != nil {
		return fmt.Errorf("register routes: %w", err)
	}
	return nil
}
