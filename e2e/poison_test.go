package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/rabbit"
)

// poisons are messages no program can ever process.
var poisons = []struct {
	kind string
	typ  string
	body string
}{
	{"garbage", "", "\x00\x01 this is not JSON {"},
	{"unknown-type", "NoSuchMessage", `{"id":"%ID%","type":"NoSuchMessage","version":1,"correlation_id":"poison","sent_at":"2025-01-01T00:00:00Z","payload":{}}`},
	{"invalid", "ChargePayment", `{"id":"%ID%","type":"ChargePayment","version":1,"correlation_id":"poison","sent_at":"2025-01-01T00:00:00Z","payload":{"order_id":""}}`},
}

// Acceptance 8: a poison message on each queue lands in that queue's
// dead-letter queue, its reason is logged, and the consumer carries on: a
// good order placed after them completes, and the frontend shows it.
func TestPoisonMessages(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{})
	var ps []rabbit.Publishing
	for _, q := range rabbit.Queues {
		for _, p := range poisons {
			id := "poison-" + q + "-" + p.kind
			ps = append(ps, rabbit.Publishing{RoutingKey: q, MessageID: id, Type: p.typ, CorrelationID: "poison",
				Body: []byte(strings.ReplaceAll(p.body, "%ID%", id))})
		}
	}
	if err := shop.PublishRaw(context.Background(), ps...); err != nil {
		t.Fatal(err)
	}
	for _, q := range rabbit.Queues {
		shop.ExpectedDeadLetters[q] = len(poisons)
	}
	awaitDeadLetters(t, shop)
	for _, q := range rabbit.Queues {
		for _, p := range poisons {
			awaitLogLine(t, shop.LogPath(q), "poison-"+q+"-"+p.kind, "dead-letter")
		}
	}

	good := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780134190440", Quantity: 1})
	shop.MustPlace(t, good)
	if s := shop.AwaitTerminal(t, []harness.Order{good}, 30*time.Second)[good.OrderID]; s.State != "completed" {
		t.Errorf("good order after the poison ended %s, want completed", s.State)
	}
	shop.CheckInvariants(t, []harness.Order{good})
}

func awaitDeadLetters(t *testing.T, shop *harness.Shop) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := shop.DeadLetters(t)
		ok := true
		for q, want := range shop.ExpectedDeadLetters {
			ok = ok && got[q] == want
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			raw, _ := json.Marshal(got)
			t.Fatalf("dead-letter queue depths %s, want %d in each", raw, len(poisons))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// awaitLogLine waits for a line of the log holding every word.
func awaitLogLine(t *testing.T, path string, words ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			all := true
			for _, w := range words {
				all = all && strings.Contains(line, w)
			}
			if all {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("no line of %s holds all of %q", path, words)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
