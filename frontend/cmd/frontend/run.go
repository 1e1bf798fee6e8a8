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
	"bookshop/pkg/service"
)

const name = "frontend"

// Config is every key the frontend reads (configs/frontend.yaml).
type Config struct {
	config.Common `mapstructure:",squash"`
	Catalog       CatalogConfig `mapstructure:"catalog"`
}

// CatalogConfig locates the book list.
type CatalogConfig struct {
	Path string `mapstructure:"path"`
}

func defaults() Config {
	return Config{
		Common:  config.Defaults(name, "127.0.0.1:8080"),
		Catalog: CatalogConfig{Path: "configs/catalog.yaml"},
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
	if err := wire(svc, cat); err != nil {
		return errors.Join(err, svc.DB.Close())
	}
	return svc.Run(ctx)
}

// wire builds the domain on svc: what it consumes and the routes it serves.
func wire(svc *service.Service, cat *catalog.Catalog) error {
	metrics, err := frontend.NewMetrics(svc.Metrics)
	if err != nil {
		return err
	}
	shop := frontend.NewShop(cat, &fsqlite.OrderViews{DB: svc.DB}, svc.Log, time.Now, metrics)
	svc.Consume(shop.Handle, inbox.Ignore)
	if err := httpapi.Register(svc.Mux, shop, svc.Log); err != nil {
		return fmt.Errorf("register routes: %w", err)
	}
	return nil
}
