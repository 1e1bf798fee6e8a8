package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"bookshop/pkg/config"

	"github.com/google/go-cmp/cmp"
)

// TestRunRefusesBadConfig: a value fulfillment cannot use stops the start
// with an error naming the key.
func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		key  string
	}{
		{"catalog missing", map[string]string{"FULFILLMENT_CATALOG_PATH": filepath.Join(t.TempDir(), "nope.yaml")}, "catalog.path"},
		{"catalog a directory", map[string]string{"FULFILLMENT_CATALOG_PATH": t.TempDir()}, "catalog.path"},
		{"zero business days", map[string]string{"FULFILLMENT_DELIVERY_BUSINESS_DAYS": "0"}, "delivery.business_days"},
		{"business days not a number", map[string]string{"FULFILLMENT_DELIVERY_BUSINESS_DAYS": "three"}, "delivery.business_days"},
		{"bad amqp url", map[string]string{"FULFILLMENT_AMQP_URL": "http://localhost"}, "amqp.url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				"FULFILLMENT_DATABASE_PATH": filepath.Join(t.TempDir(), "f.db"),
				"FULFILLMENT_CATALOG_PATH":  catalogPath,
			}
			for k, v := range tt.env {
				env[k] = v
			}
			err := run(context.Background(), []string{"fulfillment"}, func(k string) string { return env[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("run = %v, want an error naming %s", err, tt.key)
			}
		})
	}
}

// TestConfigFile: configs/fulfillment.yaml lists every key with its default
// (loaded over a zero Config, a key missing from the file stays zero).
func TestConfigFile(t *testing.T) {
	var got Config
	args := []string{"fulfillment", "--config", "../../../configs/fulfillment.yaml"}
	if err := config.Load(name, args, func(string) string { return "" }, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(defaults(), got); diff != "" {
		t.Errorf("configs/fulfillment.yaml differs from the defaults (-defaults +file):\n%s", diff)
	}
}
