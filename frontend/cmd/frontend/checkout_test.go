package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"

	"github.com/google/go-cmp/cmp"
)

// noBroker is an AMQP URL where nothing listens.
const noBroker = "amqp://guest:guest@127.0.0.1:1/"

const orderBody = `{"customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
 "items": [{"isbn": "9780262033848", "quantity": 2}, {"isbn": "9781449373320", "quantity": 1}],
 "payment": {"token": "tok_visa"},
 "shipping_address": {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}}`

type placed struct {
	code     int
	location string
	replayed string
	order    struct {
		ID         string `json:"id"`
		Status     string `json:"status"`
		TotalCents int64  `json:"total_cents"`
	}
	body string
}

func post(t *testing.T, url, body, key string) placed {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := placed{code: resp.StatusCode, location: resp.Header.Get("Location"),
		replayed: resp.Header.Get("Idempotent-Replayed"), body: string(b)}
	_ = json.Unmarshal(b, &p.order)
	return p
}

// TestCheckoutReachesOrchestrator posts an order to the real program and
// takes its StartPurchase off the orchestrator queue: prices and total
// from the catalog, the order id as correlation id.
func TestCheckoutReachesOrchestrator(t *testing.T) {
	t.Parallel()
	amqpURL := rabbittest.VHost(t)
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, map[string]string{
		"FRONTEND_AMQP_URL": amqpURL, "FRONTEND_HTTP_ADDR": addr, "FRONTEND_CATALOG_PATH": catalogPath,
		"FRONTEND_DATABASE_PATH": filepath.Join(t.TempDir(), "frontend.db"),
	})
	got := consume(t, amqpURL, msg.Orchestrator)
	waitFor(t, 15*time.Second, "/readyz 200", func() (bool, string) {
		code, body, err := get(base + "/readyz")
		return err == nil && code == 200, fmt.Sprint(code, body, err)
	})
	p := post(t, base+"/api/orders", orderBody, "")
	if p.code != 202 || p.location != "/api/orders/"+p.order.ID || p.order.TotalCents != 23299 {
		t.Fatalf("POST /api/orders = %d, Location %q: %s", p.code, p.location, p.body)
	}
	var env msg.Envelope
	var sp *msg.StartPurchase
	select {
	case body := <-got:
		var m msg.Message
		var err error
		env, m, err = msg.Decode(body)
		if sp, _ = m.(*msg.StartPurchase); err != nil || sp == nil {
			t.Fatalf("orchestrator queue: %s (%v), want StartPurchase", env.Type, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no StartPurchase on the orchestrator queue within 10 s")
	}
	want := []msg.Item{
		{ISBN: "9780262033848", Title: "Introduction to Algorithms",
			Author: "Thomas H. Cormen, Charles E. Leiserson, Ronald L. Rivest, Clifford Stein", Quantity: 2, PriceCents: 9500},
		{ISBN: "9781449373320", Title: "Designing Data-Intensive Applications", Author: "Martin Kleppmann",
			Quantity: 1, PriceCents: 4299},
	}
	if diff := cmp.Diff(want, sp.Items); diff != "" || sp.OrderID != p.order.ID || env.CorrelationID != p.order.ID ||
		sp.TotalCents != 23299 || sp.Currency != "EUR" || sp.PaymentToken != "tok_visa" || sp.ShippingAddress.Country != "GB" {
		t.Errorf("StartPurchase %+v (correlation %s); items (-want +got):\n%s", sp, env.CorrelationID, diff)
	}
	waitFor(t, 5*time.Second, "outbox emptied", metricsLine(base, "bookshop_outbox_backlog 0"))
	waitFor(t, 5*time.Second, "order counted", metricsLine(base, "bookshop_frontend_orders_accepted_total 1"))
	waitFor(t, 5*time.Second, "checkout latency measured", func() (bool, string) {
		_, body, _ := get(base + "/metrics")
		line := `bookshop_frontend_http_request_duration_seconds_count{code="202",route="POST /api/orders"} 1`
		return strings.Contains(body, line), "no line " + line
	})
}

// consume delivers the bodies arriving on queue until the test ends.
func consume(t *testing.T, amqpURL, queue string) <-chan []byte {
	t.Helper()
	out := make(chan []byte, 16)
	log := slog.New(slog.NewTextHandler(testOutput(), nil))
	c := rabbit.NewConsumer(rabbit.Config{URL: amqpURL, ConnectionName: "test-" + queue}, queue,
		func(_ context.Context, ds []rabbit.Delivery) []error {
			for _, d := range ds {
				out <- d.Body
			}
			return make([]error, len(ds))
		}, log)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return out
}

// TestCheckoutWithoutBroker: with no RabbitMQ at all, checkout and cancel
// still answer 202 at once, the order shows `accepted`, and its messages
// wait in the outbox. A shutdown ends the order's open live stream.
func TestCheckoutWithoutBroker(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	stop := startStoppable(t, map[string]string{
		"FRONTEND_AMQP_URL": noBroker, "FRONTEND_HTTP_ADDR": addr, "FRONTEND_CATALOG_PATH": catalogPath,
		"FRONTEND_DATABASE_PATH": filepath.Join(t.TempDir(), "frontend.db"),
	})
	waitFor(t, 10*time.Second, "/healthz", func() (bool, string) {
		code, body, err := get(base + "/healthz")
		return err == nil && code == 200, fmt.Sprint(code, body, err)
	})
	began := time.Now()
	p := post(t, base+"/api/orders", orderBody, "k-no-broker")
	if took := time.Since(began); p.code != 202 || took > 2*time.Second {
		t.Fatalf("POST /api/orders without a broker = %d after %v: %s", p.code, took, p.body)
	}
	code, body, err := get(base + "/api/orders/" + p.order.ID)
	if err != nil || code != 200 || !strings.Contains(body, `"status": "accepted"`) {
		t.Errorf("GET order = %d %s %v, want accepted", code, body, err)
	}
	if code, body, _ := get(base + "/readyz"); code != 503 {
		t.Errorf("/readyz without a broker = %d %s, want 503", code, body)
	}
	resp, err := http.Post(base+"/api/orders/"+p.order.ID+"/cancel", "", nil)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("cancel without a broker = %v %v, want 202", resp, err)
	}
	resp.Body.Close()
	waitFor(t, 5*time.Second, "StartPurchase and CancelPurchase kept", metricsLine(base, "bookshop_outbox_backlog 2"))

	stream, err := http.Get(base + "/api/orders/" + p.order.ID + "/events")
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("open the live stream: %v %v", stream, err)
	}
	defer stream.Body.Close()
	if _, err := stream.Body.Read(make([]byte, 1)); err != nil {
		t.Fatalf("read the live stream: %v", err)
	}
	began = time.Now()
	stop()
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("shutdown with a live stream open took %v", took)
	}
}

// TestIdempotencyAcrossRestart: a key still finds its order after the
// program restarts on the same database; another body with it is 422.
func TestIdempotencyAcrossRestart(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	env := map[string]string{
		"FRONTEND_AMQP_URL": noBroker, "FRONTEND_HTTP_ADDR": addr, "FRONTEND_CATALOG_PATH": catalogPath,
		"FRONTEND_DATABASE_PATH": filepath.Join(t.TempDir(), "frontend.db"),
	}
	ready := func() {
		waitFor(t, 10*time.Second, "/healthz", func() (bool, string) {
			code, body, err := get(base + "/healthz")
			return err == nil && code == 200, fmt.Sprint(code, body, err)
		})
	}
	stop := startStoppable(t, env)
	ready()
	first := post(t, base+"/api/orders", orderBody, "restart-key")
	if first.code != 202 {
		t.Fatalf("first POST = %d %s", first.code, first.body)
	}
	stop()

	startStoppable(t, env)
	ready()
	again := post(t, base+"/api/orders", orderBody, "restart-key")
	if again.code != 202 || again.order.ID != first.order.ID || again.replayed != "true" || again.location != first.location {
		t.Errorf("after restart, same key and body = %d %q (replayed %q), want 202 with order %s",
			again.code, again.order.ID, again.replayed, first.order.ID)
	}
	other := post(t, base+"/api/orders", strings.Replace(orderBody, `"quantity": 2`, `"quantity": 3`, 1), "restart-key")
	if other.code != http.StatusUnprocessableEntity {
		t.Errorf("after restart, same key and another body = %d %s, want 422", other.code, other.body)
	}
	waitFor(t, 5*time.Second, "one StartPurchase in the outbox", metricsLine(base, "bookshop_outbox_backlog 1"))
}

// startStoppable runs the program and returns a stop that waits for it;
// the test's end stops it too.
func startStoppable(t *testing.T, env map[string]string) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		done <- run(ctx, []string{"frontend", "--config", cfg}, func(k string) string { return env[k] }, testOutput())
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
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
	t.Cleanup(stop)
	return stop
}
