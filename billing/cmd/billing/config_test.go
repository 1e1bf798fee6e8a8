package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bookshop/pkg/config"

	"github.com/google/go-cmp/cmp"
)

// TestBadConfig: a value billing cannot use stops it before it opens
// anything, with an error naming the key.
func TestBadConfig(t *testing.T) {
	tests := []struct {
		env     map[string]string
		wantKey string
	}{
		{map[string]string{"BILLING_GATEWAY_FAILURE_RATE": "2"}, "gateway.failure_rate"},
		{map[string]string{"BILLING_GATEWAY_FAILURE_RATE": "-0.1"}, "gateway.failure_rate"},
		{map[string]string{"BILLING_GATEWAY_FAILURE_RATE": "often"}, "gateway.failure_rate"},
		{map[string]string{"BILLING_GATEWAY_LATENCY": "-1s"}, "gateway.latency"},
		{map[string]string{"BILLING_GATEWAY_LATENCY": "slow"}, "gateway.latency"},
		{map[string]string{"BILLING_GATEWAY_RETRY_MAX_ATTEMPTS": "0"}, "gateway.retry.max_attempts"},
		{map[string]string{"BILLING_GATEWAY_RETRY_MAX": "1ms"}, "gateway.retry.max"},
		{map[string]string{"BILLING_GATEWAY_DATABASE_PATH": "same.db", "BILLING_DATABASE_PATH": "same.db"}, "gateway.database_path"},
		{map[string]string{"BILLING_GATEWAY_SYNCHRONOUS": "OFF"}, "gateway.synchronous"},
		{map[string]string{"BILLING_AMQP_URL": "http://localhost"}, "amqp.url"},
	}
	for _, tt := range tests {
		t.Run(tt.wantKey, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{
				"BILLING_DATABASE_PATH":         filepath.Join(dir, "billing.db"),
				"BILLING_GATEWAY_DATABASE_PATH": filepath.Join(dir, "gateway.db"),
			}
			for k, v := range tt.env {
				env[k] = v
			}
			err := run(context.Background(), []string{"billing"}, func(k string) string { return env[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "config key "+tt.wantKey+":") {
				t.Fatalf("run with %v: %v, want an error naming %s", tt.env, err, tt.wantKey)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("run created %v before refusing its configuration", entries)
			}
		})
	}
}

// TestConfigFile: configs/billing.yaml lists every key with its default.
// Loaded over a zero Config, a key the file left out would stay zero.
func TestConfigFile(t *testing.T) {
	path := filepath.Join("..", "..", "..", "configs", "billing.yaml")
	var got Config
	if err := config.Load(name, []string{"billing", "--config", path}, func(string) string { return "" }, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(defaults(), got); diff != "" {
		t.Errorf("%s differs from the defaults (-defaults +file):\n%s", path, diff)
	}
}
