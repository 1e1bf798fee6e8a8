package main

import (
	"math"
	"time"

	"bookshop/billing"
	"bookshop/pkg/config"
	"bookshop/pkg/retry"
)

const name = "billing"

// Config is billing's configuration: configs/billing.yaml lists every key.
type Config struct {
	config.Common `mapstructure:",squash"`
	Gateway       GatewayConfig `mapstructure:"gateway"`
}

// GatewayConfig tunes the simulated card gateway and billing's retries of it.
type GatewayConfig struct {
	Latency      time.Duration `mapstructure:"latency"`
	FailureRate  float64       `mapstructure:"failure_rate"`
	DatabasePath string        `mapstructure:"database_path"`
	Synchronous  string        `mapstructure:"synchronous"`
	Retry        RetryConfig   `mapstructure:"retry"`
}

// RetryConfig is how one command retries a failing gateway before its
// message is left for redelivery.
type RetryConfig struct {
	MaxAttempts int           `mapstructure:"max_attempts"`
	Initial     time.Duration `mapstructure:"initial"`
	Max         time.Duration `mapstructure:"max"`
}

func defaults() Config {
	p := billing.DefaultRetry
	return Config{
		Common: config.Defaults(name, "127.0.0.1:8082"),
		Gateway: GatewayConfig{
			DatabasePath: "var/billing-gateway.db",
			Synchronous:  "NORMAL",
			Retry:        RetryConfig{MaxAttempts: p.MaxAttempts, Initial: p.Initial, Max: p.Max},
		},
	}
}

func loadConfig(args []string, getenv func(string) string) (Config, error) {
	cfg := defaults()
	if err := config.Load(name, args, getenv, &cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// Validate checks every key and names the first bad one.
func (c Config) Validate() error {
	if err := c.Common.Validate(); err != nil {
		return err
	}
	g := c.Gateway
	switch {
	case g.Latency < 0:
		return config.KeyError("gateway.latency", "must not be negative")
	case math.IsNaN(g.FailureRate) || g.FailureRate < 0 || g.FailureRate > 1:
		return config.KeyError("gateway.failure_rate", "must be between 0 and 1")
	case g.DatabasePath == "":
		return config.KeyError("gateway.database_path", "must not be empty")
	case g.DatabasePath == c.Database.Path:
		return config.KeyError("gateway.database_path", "must differ from database.path: the gateway is a separate system")
	case !config.ValidSynchronous(g.Synchronous):
		return config.KeyError("gateway.synchronous", "must be FULL or NORMAL")
	case g.Retry.MaxAttempts < 1 || g.Retry.MaxAttempts > 10:
		return config.KeyError("gateway.retry.max_attempts", "must be between 1 and 10")
	case g.Retry.Initial <= 0:
		return config.KeyError("gateway.retry.initial", "must be positive")
	case g.Retry.Max < g.Retry.Initial:
		return config.KeyError("gateway.retry.max", "must be at least gateway.retry.initial")
	}
	return nil
}

func (r RetryConfig) policy() retry.Policy {
	return retry.Policy{Initial: r.Initial, Coefficient: 2, Max: r.Max, MaxAttempts: r.MaxAttempts}
}
