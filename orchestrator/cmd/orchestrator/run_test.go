package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuffer) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The real program, started through run: a StartPurchase on its queue makes
// it send ChargePayment to billing; SIGTERM (ctx cancel) stops it cleanly.
func TestRunStartsASaga(t *testing.T) {
	url := rabbittest.VHost(t)
	addr := freeAddr(t)
	env := map[string]string{
		"ORCHESTRATOR_AMQP_URL":      url,
		"ORCHESTRATOR_HTTP_ADDR":     addr,
		"ORCHESTRATOR_DATABASE_PATH": filepath.Join(t.TempDir(), "o.db"),
		"ORCHESTRATOR_ADMIN_TOKEN":   "test-admin-token-0123456789",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"orchestrator"}, func(k string) string { return env[k] }, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not stop within 10 s of cancel")
		}
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	waitReady(t, "http://"+addr+"/readyz")

	got := make(chan rabbit.Delivery, 10)
	c := rabbit.NewConsumer(rabbit.Config{URL: url, ConnectionName: "test-billing"}, "billing",
		func(_ context.Context, ds []rabbit.Delivery) []error {
			for _, d := range ds {
				got <- d
			}
			return make([]error, len(ds))
		}, nil)
	cctx, ccancel := context.WithCancel(context.Background())
	defer ccancel()
	go c.Run(cctx)

	order := "ord-" + msg.NewID()
	start, _ := msg.New(&msg.StartPurchase{OrderID: order, Customer: msg.Customer{Name: "Ada", Email: "a@example.com"},
		Items: []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 9500}}, TotalCents: 9500, Currency: "EUR",
		PaymentToken: "tok_visa", ShippingAddress: msg.Address{Line1: "x", Country: "GB"}}, order, "", time.Now())
	body, _ := start.Marshal()
	pub := rabbit.NewPublisher(rabbit.Config{URL: url, ConnectionName: "test-frontend"}, nil)
	defer pub.Close()
	if err := pub.Publish(context.Background(), []rabbit.Publishing{{RoutingKey: "orchestrator", MessageID: start.ID,
		Type: start.Type, CorrelationID: order, Body: body}}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if d.Type != "ChargePayment" || d.CorrelationID != order {
			t.Fatalf("billing got %s for %s, want ChargePayment for %s", d.Type, d.CorrelationID, order)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no ChargePayment reached the billing queue within 15 s")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct{ key, env, value string }{
		{"admin.token", "ORCHESTRATOR_ADMIN_TOKEN", "short"},
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

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal(fmt.Sprintf("%s not ready within 15 s (last: %v)", url, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
