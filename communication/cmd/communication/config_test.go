package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bookshop/pkg/config"

	"github.com/google/go-cmp/cmp"
)

func TestBadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		key  string
	}{
		{"unknown sender", map[string]string{"COMMUNICATION_EMAIL_SENDER": "pigeon"}, "email.sender"},
		{"smtp without host", map[string]string{"COMMUNICATION_EMAIL_SENDER": "smtp",
			"COMMUNICATION_EMAIL_SMTP_FROM": "shop@example.com"}, "email.smtp.host"},
		{"smtp without from", map[string]string{"COMMUNICATION_EMAIL_SENDER": "smtp",
			"COMMUNICATION_EMAIL_SMTP_HOST": "mail.example.com"}, "email.smtp.from"},
		{"smtp with a bad from", map[string]string{"COMMUNICATION_EMAIL_SENDER": "smtp",
			"COMMUNICATION_EMAIL_SMTP_HOST": "mail.example.com", "COMMUNICATION_EMAIL_SMTP_FROM": "the shop",
			"COMMUNICATION_EMAIL_SMTP_USERNAME": "shop", "COMMUNICATION_EMAIL_SMTP_PASSWORD": "hunter2"}, "email.smtp.from"},
		{"smtp port out of range", map[string]string{"COMMUNICATION_EMAIL_SENDER": "smtp",
			"COMMUNICATION_EMAIL_SMTP_HOST": "mail.example.com", "COMMUNICATION_EMAIL_SMTP_FROM": "shop@example.com",
			"COMMUNICATION_EMAIL_SMTP_PORT": "70000"}, "email.smtp.port"},
		{"smtp port not a number", map[string]string{"COMMUNICATION_EMAIL_SMTP_PORT": "submission"}, "email.smtp.port"},
		{"smtp user without password", map[string]string{"COMMUNICATION_EMAIL_SENDER": "smtp",
			"COMMUNICATION_EMAIL_SMTP_HOST": "mail.example.com", "COMMUNICATION_EMAIL_SMTP_FROM": "shop@example.com",
			"COMMUNICATION_EMAIL_SMTP_USERNAME": "shop"}, "email.smtp.password"},
		{"bad amqp url", map[string]string{"COMMUNICATION_AMQP_URL": "http://localhost"}, "amqp.url"},
		{"bad http addr", map[string]string{"COMMUNICATION_HTTP_ADDR": "8084"}, "http.addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["COMMUNICATION_DATABASE_PATH"] = filepath.Join(t.TempDir(), "c.db")
			var out bytes.Buffer
			err := run(context.Background(), []string{"communication"}, func(k string) string { return tt.env[k] }, &out)
			if err == nil || !strings.Contains(err.Error(), "config key "+tt.key+":") {
				t.Fatalf("run: %v, want an error naming %s", err, tt.key)
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Errorf("the SMTP password was printed: %v\n%s", err, out.String())
			}
		})
	}
}

func TestUnknownKeyInFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "communication.yaml")
	if err := os.WriteFile(path, []byte("email:\n  carrier: pigeon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"communication", "--config", path}, func(string) string { return "" }, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "email.carrier") {
		t.Fatalf("run: %v, want an error naming email.carrier", err)
	}
}

// TestShippedConfig checks that configs/communication.yaml lists the
// defaults, and nothing the program does not know.
func TestShippedConfig(t *testing.T) {
	got := defaults()
	err := config.Load(name, []string{name, "--config", "../../../configs/communication.yaml"},
		func(string) string { return "" }, &got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(defaults(), got); diff != "" {
		t.Errorf("configs/communication.yaml differs from the defaults (-defaults +file):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
}
