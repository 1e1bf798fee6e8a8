package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/rabbit"
)

// Issue 4, acceptance 4: a poison message is listed under dead letters
// with its type, reason and first bytes; replaying a corrected one is
// processed; deleting another leaves the rest.
func TestOperatorReplaysACorrectedDeadLetter(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{})
	o := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780134190440", Quantity: 1})
	good, err := o.Envelope.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	broken := brokenStart(t, o) // the customer's email lost on the way: it fails validation
	err = shop.PublishRaw(context.Background(),
		rabbit.Publishing{RoutingKey: "orchestrator", MessageID: o.Envelope.ID, Type: o.Envelope.Type, CorrelationID: o.OrderID, Body: broken},
		rabbit.Publishing{RoutingKey: "billing", MessageID: "garbage-1", Body: []byte("\x00 not a message")})
	if err != nil {
		t.Fatal(err)
	}
	d := shop.AwaitDeadLetter(t, 20*time.Second, "for the broken order", func(d harness.AdminDeadLetter) bool { return d.ID == o.Envelope.ID })
	if d.Queue != "orchestrator.dead-letter" || d.OriginalQueue != "orchestrator" || d.Type != "StartPurchase" ||
		!strings.Contains(d.Reason, "email") || d.DeadLetteredAt == "" || !strings.HasPrefix(d.Preview, `{"id":"`+o.Envelope.ID) {
		t.Errorf("listed as %+v", d)
	}
	g := shop.AwaitDeadLetter(t, 20*time.Second, "of garbage", func(d harness.AdminDeadLetter) bool { return d.ID == "garbage-1" })
	t.Logf("dead letters: %s: %s; %s: %s", d.ID, d.Reason, g.ID, g.Reason)
	shop.AwaitMetric(t, "orchestrator", `bookshop_dead_letters{queue="billing.dead-letter"}`, 1, 10*time.Second)
	if _, err := shop.Saga(context.Background(), o.OrderID); err == nil {
		t.Fatalf("the broken StartPurchase started a saga")
	}

	shop.MustAdmin(t, 202, "POST", "/admin/dead-letters/"+d.ID+"/replay",
		map[string]any{"body": string(good), "reason": "email restored from the frontend's order"}, "X-Operator", "Grace")
	if s := shop.AwaitTerminal(t, []harness.Order{o}, 30*time.Second)[o.OrderID]; s.State != "completed" {
		t.Errorf("the replayed order ended %s, want completed", s.State)
	}
	shop.MustAdmin(t, 404, "POST", "/admin/dead-letters/"+d.ID+"/replay", nil)
	shop.MustAdmin(t, 200, "DELETE", "/admin/dead-letters/garbage-1", map[string]string{"reason": "not a message"})
	left, counts, err := shop.AdminDeadLetters(context.Background())
	if err != nil || len(left) != 0 {
		t.Errorf("dead letters left: %+v %v (%v)", left, counts, err)
	}
	shop.CheckInvariants(t, []harness.Order{o})
}

// brokenStart is the order's StartPurchase with the customer's email gone.
func brokenStart(t *testing.T, o harness.Order) []byte {
	t.Helper()
	env := o.Envelope
	var payload map[string]any
	if err := json.Unmarshal(env.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	payload["customer"].(map[string]any)["email"] = ""
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	env.Payload = raw
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return body
}
