package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit/rabbittest"
	"bookshop/pkg/service/servicetest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRun starts the real program on a fresh vhost and drives it as the
// orchestrator would: a charge, the same command again, a refund.
func TestRun(t *testing.T) {
	h := start(t)
	order := "order-" + strings.ToLower(msg.NewID())
	charge := servicetest.Envelope(t, &msg.ChargePayment{OrderID: order, AmountCents: 2599, Currency: "GBP",
		PaymentToken: "tok_visa"}, order)

	h.publish(t, charge)
	first := h.reply(t)
	got := servicetest.Payload[msg.PaymentCharged](t, first)
	if got.OrderID != order || got.AmountCents != 2599 || got.Currency != "GBP" || first.CausationID != charge.ID {
		t.Fatalf("reply to the charge: %s %+v caused by %s", first.Type, got, first.CausationID)
	}

	h.publish(t, charge) // the orchestrator asks again: the stored reply comes again
	again := h.reply(t)
	if again.ID != first.ID {
		t.Errorf("reply to the repeated charge has id %s, want the first reply's %s", again.ID, first.ID)
	}

	h.publish(t, servicetest.Envelope(t, &msg.RefundPayment{OrderID: order, AmountCents: 2599, Currency: "GBP"}, order))
	if r := servicetest.Payload[msg.PaymentRefunded](t, h.reply(t)); r.AmountCents != 2599 || r.PaymentID == "" {
		t.Fatalf("reply to the refund: %+v, want PaymentRefunded of 2599", r)
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
	servicetest.GetJSON(t, h.base+"/payments?order_id="+order, &rows)
	want := []row{
		{ID: got.PaymentID, OrderID: order, Kind: "charge", Currency: "GBP", Status: "succeeded", AmountCents: 2599},
		{OrderID: order, Kind: "refund", Currency: "GBP", Status: "succeeded", AmountCents: 2599},
	}
	if diff := cmp.Diff(want, rows, cmpopts.IgnoreFields(row{}, "ID")); diff != "" || rows[0].ID != got.PaymentID {
		t.Errorf("GET /payments (-want +got):\n%s", diff)
	}
	status, _, metrics := servicetest.Get(t, h.base+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", status)
	}
	for _, line := range []string{`billing_charges_total{outcome="succeeded"} 1`, `billing_refunds_total{outcome="succeeded"} 1`,
		`billing_gateway_call_seconds_count{operation="charge",outcome="approved"} 1`} {
		if !strings.Contains(string(metrics), line+"\n") {
			t.Errorf("GET /metrics lacks %q", line)
		}
	}
}

// harness is the running program and the test's orchestrator end.
type harness struct {
	base    string // http://addr
	amqpURL string
	replies <-chan msg.Envelope // the orchestrator queue
}

func start(t *testing.T) *harness {
	t.Helper()
	url := rabbittest.VHost(t)
	dir := t.TempDir()
	addr := servicetest.FreeAddr(t)
	servicetest.Start(t, "billing", run, map[string]string{
		"BILLING_AMQP_URL":              url,
		"BILLING_AMQP_REQUEUE_DELAY":    "50ms",
		"BILLING_HTTP_ADDR":             addr,
		"BILLING_DATABASE_PATH":         filepath.Join(dir, "billing.db"),
		"BILLING_GATEWAY_DATABASE_PATH": filepath.Join(dir, "billing-gateway.db"),
		"BILLING_LOG_LEVEL":             "debug",
	})
	h := &harness{base: "http://" + addr, amqpURL: url, replies: servicetest.Consume(t, url, msg.Orchestrator)}
	servicetest.WaitReady(t, addr)
	return h
}

// publish sends a command to billing's queue, as the orchestrator would.
func (h *harness) publish(t *testing.T, env msg.Envelope) {
	t.Helper()
	servicetest.Publish(t, h.amqpURL, msg.Billing, env)
}

// reply waits for the next message on the orchestrator queue.
func (h *harness) reply(t *testing.T) msg.Envelope {
	t.Helper()
	return servicetest.Next(t, h.replies, 10*time.Second)
}
