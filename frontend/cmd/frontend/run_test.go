package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"

	"github.com/google/go-cmp/cmp"
)

// catalogPath is the repository's catalog, seen from this package.
const catalogPath = "../../../configs/catalog.yaml"

func testOutput() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
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

// start runs the program until the test ends, and checks it stops cleanly.
func start(t *testing.T, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args := []string{"frontend", "--config", filepath.Join(t.TempDir(), "none.yaml")}
	if err := os.WriteFile(args[2], nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, testOutput()) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("run did not return within 10 s of cancel")
		}
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func publishing(t *testing.T, m msg.Message, orderID string) rabbit.Publishing {
	t.Helper()
	env, err := msg.New(m, orderID, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return rabbit.Publishing{RoutingKey: msg.Frontend, MessageID: env.ID, Type: env.Type,
		CorrelationID: orderID, Body: body}
}

// metricsLine reports whether /metrics has line.
func metricsLine(base, line string) func() (bool, string) {
	return func() (bool, string) {
		code, body, err := get(base + "/metrics")
		if err != nil || code != 200 {
			return false, fmt.Sprintf("GET /metrics: %d %v", code, err)
		}
		return strings.Contains(body, "\n"+line+"\n"), "no line " + line
	}
}

// TestRun starts the program on a fresh vhost, sends it one order's status
// events shuffled and duplicated plus a message it does not consume, and
// checks the order view shows the latest version and the stranger is
// dead-lettered.
func TestRun(t *testing.T) {
	t.Parallel()
	amqpURL := rabbittest.VHost(t)
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, map[string]string{
		"FRONTEND_AMQP_URL":           amqpURL,
		"FRONTEND_HTTP_ADDR":          addr,
		"FRONTEND_DATABASE_PATH":      filepath.Join(t.TempDir(), "frontend.db"),
		"FRONTEND_CATALOG_PATH":       catalogPath,
		"FRONTEND_AMQP_REQUEUE_DELAY": "50ms",
		"FRONTEND_LOG_LEVEL":          "debug",
	})
	waitFor(t, 15*time.Second, "/readyz 200", func() (bool, string) {
		code, body, err := get(base + "/readyz")
		return err == nil && code == 200, fmt.Sprint(code, body, err)
	})

	id := msg.NewID()
	publishEvents(t, amqpURL, id)

	waitFor(t, 10*time.Second, "the order view at version 3", func() (bool, string) {
		code, body, err := get(base + "/api/orders/" + id)
		if err != nil || code != 200 {
			return false, fmt.Sprint(code, body, err)
		}
		var got map[string]any
		return json.Unmarshal([]byte(body), &got) == nil && got["state"] == "sending_confirmation", body
	})
	// Once all four are handled, the older ones must not have taken it back.
	waitFor(t, 10*time.Second, "four OrderStatusChanged handled",
		metricsLine(base, `bookshop_messages_total{outcome="ok",type="OrderStatusChanged"} 4`))
	checkOrder(t, base, id)
	waitFor(t, 10*time.Second, "CancelPurchase dead-lettered", func() (bool, string) {
		n := rabbittest.QueueDepth(t, amqpURL, rabbit.DeadLetterQueue(msg.Frontend))
		return n == 1, fmt.Sprint(n, " dead letters")
	})
	checkUnknownOrderAndBooks(t, base)
}

func checkOrder(t *testing.T, base, id string) {
	t.Helper()
	code, body, err := get(base + "/api/orders/" + id)
	if err != nil || code != 200 {
		t.Fatalf("GET /api/orders/%s: %d %s %v", id, code, body, err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": id, "status": "processing", "state": "sending_confirmation", "items": []any{},
		"total_cents": 9500.0, "currency": "EUR", "customer": map[string]any{"name": "", "email": ""},
		"shipping_address": map[string]any{"line1": "", "city": "", "postal_code": "", "country": ""},
		"delivery":         map[string]any{"expected_date": "2026-11-30", "tracking_id": "BK123456789"},
		"failure_reason":   "", "can_cancel": false,
		"created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:02Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /api/orders/%s (-want +got):\n%s", id, diff)
	}
}

func checkUnknownOrderAndBooks(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/api/orders/no-such-order")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown order: %d %s, want 404 application/problem+json",
			resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	code, body, err := get(base + "/api/books")
	if err != nil || code != 200 {
		t.Fatalf("GET /api/books: %d %s %v", code, body, err)
	}
	var books []struct {
		ISBN      string `json:"isbn"`
		Available bool   `json:"available"`
	}
	if err := json.Unmarshal([]byte(body), &books); err != nil {
		t.Fatal(err)
	}
	available := map[string]bool{}
	for _, b := range books {
		available[b.ISBN] = b.Available
	}
	if len(books) != 14 || !available["9780262033848"] || available["9780451524935"] {
		t.Errorf("GET /api/books = %s, want the 14 catalog books, 9780451524935 unavailable", body)
	}
}

// publishEvents sends order id's status events v1..v3 shuffled (v3, v1, v2)
// with v1 redelivered, then a CancelPurchase, which the frontend does not
// consume, all to the frontend queue.
func publishEvents(t *testing.T, amqpURL, id string) {
	t.Helper()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	events := []msg.OrderStatusChanged{
		{OrderID: id, State: "charging_payment", Event: "started", Version: 1,
			TotalCents: 9500, Currency: "EUR", OccurredAt: at},
		{OrderID: id, State: "scheduling_delivery", PreviousState: "charging_payment", Event: "payment_charged",
			Version: 2, TotalCents: 9500, Currency: "EUR", OccurredAt: at.Add(time.Second)},
		{OrderID: id, State: "sending_confirmation", PreviousState: "scheduling_delivery", Event: "delivery_scheduled",
			Version: 3, ExpectedDate: "2026-11-30", TrackingID: "BK123456789",
			TotalCents: 9500, Currency: "EUR", OccurredAt: at.Add(2 * time.Second)},
	}
	v1 := publishing(t, &events[0], id)
	pubs := []rabbit.Publishing{
		publishing(t, &events[2], id), v1, publishing(t, &events[1], id), v1,
		publishing(t, &msg.CancelPurchase{OrderID: id}, id),
	}
	pub := rabbit.NewPublisher(rabbit.Config{URL: amqpURL, ConnectionName: "test"},
		slog.New(slog.NewTextHandler(testOutput(), nil)))
	defer pub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, pubs); err != nil {
		t.Fatalf("publish events of %s: %v", id, err)
	}
}
