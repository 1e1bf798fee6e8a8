package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
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

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRun starts the real program on a fresh vhost and drives it as the
// orchestrator would: a charge, the same command again, a refund.
func TestRun(t *testing.T) {
	h := start(t)
	order := "order-" + strings.ToLower(msg.NewID())
	charge := h.command(t, &msg.ChargePayment{OrderID: order, AmountCents: 2599, Currency: "GBP", PaymentToken: "tok_visa"})

	h.publish(t, charge)
	first, m := h.reply(t)
	got, ok := m.(*msg.PaymentCharged)
	if !ok || got.OrderID != order || got.AmountCents != 2599 || got.Currency != "GBP" || first.CausationID != charge.ID {
		t.Fatalf("reply to the charge: %s %+v caused by %s", first.Type, m, first.CausationID)
	}

	h.publish(t, charge) // the orchestrator asks again: the stored reply comes again
	again, _ := h.reply(t)
	if again.ID != first.ID {
		t.Errorf("reply to the repeated charge has id %s, want the first reply's %s", again.ID, first.ID)
	}

	h.publish(t, h.command(t, &msg.RefundPayment{OrderID: order, AmountCents: 2599, Currency: "GBP"}))
	_, m = h.reply(t)
	if r, ok := m.(*msg.PaymentRefunded); !ok || r.AmountCents != 2599 || r.PaymentID == "" {
		t.Fatalf("reply to the refund: %+v, want PaymentRefunded of 2599", m)
	}

	type row struct {
		ID          string `json:"id"`
		OrderID     string `json:"order_id"`
		Kind        string `json:"kind"`
		Currency    string `json:"currency"`
		Status      string `json:"status"`
		AmountCents int64  `json:"amount_cents"`
	}
	var rows []row
	h.getJSON(t, "/payments?order_id="+order, &rows)
	want := []row{
		{ID: got.PaymentID, OrderID: order, Kind: "charge", Currency: "GBP", Status: "succeeded", AmountCents: 2599},
		{OrderID: order, Kind: "refund", Currency: "GBP", Status: "succeeded", AmountCents: 2599},
	}
	if diff := cmp.Diff(want, rows, cmpopts.IgnoreFields(row{}, "ID")); diff != "" || rows[0].ID != got.PaymentID {
		t.Errorf("GET /payments (-want +got):\n%s", diff)
	}
	metrics := h.get(t, "/metrics")
	for _, line := range []string{`billing_charges_total{outcome="succeeded"} 1`, `billing_refunds_total{outcome="succeeded"} 1`,
		`billing_gateway_call_seconds_count{operation="charge",outcome="approved"} 1`} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("GET /metrics lacks %q", line)
		}
	}
}

// harness is the running program and the test's orchestrator end.
type harness struct {
	base    string // http://addr
	pub     *rabbit.Publisher
	replies chan rabbit.Delivery
}

func start(t *testing.T) *harness {
	t.Helper()
	url := rabbittest.VHost(t)
	dir := t.TempDir()
	h := &harness{base: "http://" + freeAddr(t), replies: make(chan rabbit.Delivery, 16)}
	env := map[string]string{
		"BILLING_AMQP_URL":              url,
		"BILLING_AMQP_REQUEUE_DELAY":    "50ms",
		"BILLING_HTTP_ADDR":             strings.TrimPrefix(h.base, "http://"),
		"BILLING_DATABASE_PATH":         filepath.Join(dir, "billing.db"),
		"BILLING_GATEWAY_DATABASE_PATH": filepath.Join(dir, "billing-gateway.db"),
		"BILLING_LOG_LEVEL":             "debug",
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"billing"}, func(k string) string { return env[k] }, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("run did not return within 10s of cancel")
		}
		if t.Failed() {
			t.Logf("billing's log:\n%s", logs.String())
		}
	})
	h.orchestratorEnd(t, url)
	waitFor(t, 15*time.Second, "billing ready", func() bool {
		resp, err := http.Get(h.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return h
}

// orchestratorEnd declares the topology, publishes commands and consumes the
// orchestrator queue into h.replies.
func (h *harness) orchestratorEnd(t *testing.T, url string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := rabbit.Config{URL: url, ConnectionName: "test-orchestrator"}
	if err := rabbit.Declare(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	h.pub = rabbit.NewPublisher(cfg, log)
	t.Cleanup(func() { h.pub.Close() })
	c := rabbit.NewConsumer(cfg, msg.Orchestrator, func(_ context.Context, ds []rabbit.Delivery) []error {
		for _, d := range ds {
			h.replies <- d
		}
		return make([]error, len(ds))
	}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (h *harness) command(t *testing.T, m msg.Message) msg.Envelope {
	t.Helper()
	var order string
	switch c := m.(type) {
	case *msg.ChargePayment:
		order = c.OrderID
	case *msg.RefundPayment:
		order = c.OrderID
	}
	env, err := msg.New(m, order, "saga-step", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func (h *harness) publish(t *testing.T, env msg.Envelope) {
	t.Helper()
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = h.pub.Publish(ctx, []rabbit.Publishing{{RoutingKey: msg.Billing, MessageID: env.ID,
		Type: env.Type, CorrelationID: env.CorrelationID, Body: body}})
	if err != nil {
		t.Fatalf("publish %s: %v", env.Type, err)
	}
}

// reply waits for the next message on the orchestrator queue.
func (h *harness) reply(t *testing.T) (msg.Envelope, msg.Message) {
	t.Helper()
	select {
	case d := <-h.replies:
		env, m, err := msg.Decode(d.Body)
		if err != nil {
			t.Fatalf("decode reply: %v", err)
		}
		return env, m
	case <-time.After(10 * time.Second):
		t.Fatal("no reply on the orchestrator queue within 10s")
	}
	return msg.Envelope{}, nil
}

func (h *harness) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
	return string(body)
}

func (h *harness) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(h.get(t, path)), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
