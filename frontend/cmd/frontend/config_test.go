package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestConfigFileListsDefaults loads the repository's configs/frontend.yaml:
// it must be readable, hold only known keys, and agree with the defaults.
func TestConfigFileListsDefaults(t *testing.T) {
	got, err := loadConfig([]string{"frontend", "--config", "../../../configs/frontend.yaml"},
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(defaults(), got); diff != "" {
		t.Errorf("configs/frontend.yaml differs from the defaults (-defaults +file):\n%s", diff)
	}
}

// TestRunRefusesBadConfig checks that run stops before serving, with an
// error naming the key at fault.
func TestRunRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badCatalog := write("bad-catalog.yaml", "books:\n  - isbn: \"123\"\n")
	emptyCatalogKey := write("empty-catalog-key.yaml", "catalog:\n  path: \"\"\n")
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		wantKey string
	}{
		{"catalog missing", "", map[string]string{"FRONTEND_CATALOG_PATH": filepath.Join(dir, "nope.yaml")}, "catalog.path"},
		{"catalog invalid", "", map[string]string{"FRONTEND_CATALOG_PATH": badCatalog}, "catalog.path"},
		{"catalog path empty", emptyCatalogKey, nil, "catalog.path"},
		{"log format", "", map[string]string{"FRONTEND_LOG_FORMAT": "xml"}, "log.format"},
		{"prefetch not a number", "", map[string]string{"FRONTEND_AMQP_PREFETCH": "many"}, "amqp.prefetch"},
		{"amqp url", "", map[string]string{"FRONTEND_AMQP_URL": "http://localhost"}, "amqp.url"},
		{"http addr", "", map[string]string{"FRONTEND_HTTP_ADDR": "8080"}, "http.addr"},
		{"live poll too fast", "", map[string]string{"FRONTEND_LIVE_POLL_INTERVAL": "1ms"}, "live.poll_interval"},
		{"live poll not a duration", "", map[string]string{"FRONTEND_LIVE_POLL_INTERVAL": "often"}, "live.poll_interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = write("empty.yaml", "")
			}
			env := map[string]string{"FRONTEND_DATABASE_PATH": filepath.Join(t.TempDir(), "f.db"),
				"FRONTEND_HTTP_ADDR": "127.0.0.1:0"}
			if tt.file == "" {
				env["FRONTEND_CATALOG_PATH"] = catalogPath
			}
			for k, v := range tt.env {
				env[k] = v
			}
			// A config wrongly accepted would serve forever: bound it.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, []string{"frontend", "--config", file},
				func(k string) string { return env[k] }, testOutput())
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("run() = %v, want an error naming %s", err, tt.wantKey)
			}
		})
	}
}
