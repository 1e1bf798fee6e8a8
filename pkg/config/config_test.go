package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/config"
)

type testConfig struct {
	config.Common `mapstructure:",squash"`
	Gateway       struct {
		Latency     time.Duration `mapstructure:"latency"`
		FailureRate float64       `mapstructure:"failure_rate"`
	} `mapstructure:"gateway"`
}

func defaults() *testConfig {
	c := &testConfig{Common: config.Defaults("billing", "127.0.0.1:8082")}
	return c
}

func write(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "billing.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadLayers(t *testing.T) {
	path := write(t, "http:\n  addr: 127.0.0.1:9999\ngateway:\n  latency: 20ms\n  failure_rate: 0.1\n")
	c := defaults()
	err := config.Load("billing", []string{"billing", "--config", path}, env(map[string]string{
		"BILLING_AMQP_URL":             "amqp://u:p@broker:5672/v",
		"BILLING_GATEWAY_FAILURE_RATE": "0.5",
		"BILLING_DATABASE_PATH":        "/data/billing.db",
	}), c)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"http.addr (file)", c.HTTP.Addr, "127.0.0.1:9999"},
		{"gateway.latency (file)", c.Gateway.Latency, 20 * time.Millisecond},
		{"gateway.failure_rate (env over file)", c.Gateway.FailureRate, 0.5},
		{"amqp.url (env over default)", c.AMQP.URL, "amqp://u:p@broker:5672/v"},
		{"database.path (env)", c.Database.Path, "/data/billing.db"},
		{"amqp.prefetch (default)", c.AMQP.Prefetch, 128},
		{"log.format (default)", c.Log.Format, "json"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.key, ch.got, ch.want)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadRefusesNamingTheKey(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		wantKey    string
	}{
		{"unknown key", "gateway:\n  latncy: 1s\n", nil, "gateway.latncy"},
		{"bad duration in file", "gateway:\n  latency: soon\n", nil, "gateway.latency"},
		{"bad number in env", "", map[string]string{"BILLING_AMQP_PREFETCH": "lots"}, "amqp.prefetch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := config.Load("billing", []string{"billing", "--config", write(t, tt.file)}, env(tt.env), defaults())
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("Load error = %v, want one naming %s", err, tt.wantKey)
			}
		})
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		key    string
		mutate func(c *config.Common)
	}{
		{"amqp.url", func(c *config.Common) { c.AMQP.URL = "http://x" }},
		{"http.addr", func(c *config.Common) { c.HTTP.Addr = "8080" }},
		{"database.path", func(c *config.Common) { c.Database.Path = "" }},
		{"log.level", func(c *config.Common) { c.Log.Level = "loud" }},
		{"log.format", func(c *config.Common) { c.Log.Format = "xml" }},
		{"amqp.batch_size", func(c *config.Common) { c.AMQP.BatchSize = 1000 }},
		{"amqp.batch_wait", func(c *config.Common) { c.AMQP.BatchWait = -time.Millisecond }},
		{"amqp.batch_wait", func(c *config.Common) { c.AMQP.BatchWait = time.Minute }},
	}
	for _, tt := range tests {
		c := config.Defaults("billing", "127.0.0.1:8082")
		tt.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("Validate with bad %s = %v", tt.key, err)
		}
	}
}

func TestMissingExplicitFileIsAnError(t *testing.T) {
	err := config.Load("billing", []string{"billing", "--config", "/nonexistent.yaml"}, env(nil), defaults())
	if err == nil {
		t.Fatal("a missing --config file was accepted")
	}
}
