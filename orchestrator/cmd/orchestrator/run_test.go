package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit/rabbittest"
	"bookshop/pkg/service/servicetest"
)

// The real program, started through run: a StartPurchase on its queue makes
// it send ChargePayment to billing; with a retention of a second the inbox
// row of the StartPurchase is pruned soon after; SIGTERM (ctx cancel) stops
// it cleanly.
func TestRunStartsASaga(t *testing.T) {
	url := rabbittest.VHost(t)
	addr := servicetest.FreeAddr(t)
	servicetest.Start(t, "orchestrator", run, map[string]string{
		"ORCHESTRATOR_AMQP_URL":      url,
		"ORCHESTRATOR_HTTP_ADDR":     addr,
		"ORCHESTRATOR_DATABASE_PATH": filepath.Join(t.TempDir(), "o.db"),
		"ORCHESTRATOR_ADMIN_TOKEN":   "test-admin-token-0123456789",

		"ORCHESTRATOR_DATABASE_INBOX_RETENTION": "1s",
	})
	servicetest.WaitReady(t, addr)
	billing := servicetest.Consume(t, url, msg.Billing)

	order := "ord-" + msg.NewID()
	servicetest.Publish(t, url, msg.Orchestrator, servicetest.Envelope(t, &msg.StartPurchase{OrderID: order,
		Customer: msg.Customer{Name: "Ada", Email: "a@example.com"},
		Items:    []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 9500}}, TotalCents: 9500, Currency: "EUR",
		PaymentToken: "tok_visa", ShippingAddress: msg.Address{Line1: "x", Country: "GB"}}, order))
	got := servicetest.Next(t, billing, 15*time.Second)
	if got.Type != "ChargePayment" || got.CorrelationID != order {
		t.Fatalf("billing got %s for %s, want ChargePayment for %s", got.Type, got.CorrelationID, order)
	}
	servicetest.WaitFor(t, 15*time.Second, "the inbox pruned", func() bool {
		_, _, body := servicetest.Get(t, "http://"+addr+"/metrics")
		return strings.Contains(string(body), `bookshop_pruned_rows_total{table="inbox"} 1`)
	})
}

func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct{ key, env, value string }{
		{"admin.token", "ORCHESTRATOR_ADMIN_TOKEN", "short"},
		{"admin.readonly_token", "ORCHESTRATOR_ADMIN_READONLY_TOKEN", "short"},
		{"admin.readonly_token", "ORCHESTRATOR_ADMIN_READONLY_TOKEN", "test-admin-token-0123456789"},
		{"saga.step_timeout", "ORCHESTRATOR_SAGA_STEP_TIMEOUT", "-1s"},
		{"saga.max_attempts", "ORCHESTRATOR_SAGA_MAX_ATTEMPTS", "many"},
		{"amqp.url", "ORCHESTRATOR_AMQP_URL", "http://nope"},
	}
	for _, tt := range tests {
		env := map[string]string{"ORCHESTRATOR_ADMIN_TOKEN": "test-admin-token-0123456789", tt.env: tt.value,
			"ORCHESTRATOR_DATABASE_PATH": filepath.Join(t.TempDir(), "o.db")}
		err := run(context.Background(), []string{"orchestrator", "--config", "/dev/null"},
			func(k string) string { return env[k] }, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s=%s: run = %v, want an error naming %s", tt.env, tt.value, err, tt.key)
		}
	}
}
