package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"bookshop/fulfillment"
	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"

	"github.com/google/go-cmp/cmp"
)

const (
	isbnAlgorithms = "9780262033848" // stock 100000 in configs/catalog.yaml
	isbnDDIA       = "9781449373320" // stock 100000
	isbn1984       = "9780451524935" // stock 0
	waitLimit      = 15 * time.Second
	catalogPath    = "../../../configs/catalog.yaml"
)

// TestRun starts the real program on a fresh vhost and drives it through its
// queue: schedule, a repeated command, out of stock, cancel; and checks the
// inspection API after each.
func TestRun(t *testing.T) {
	amqpURL := rabbittest.VHost(t)
	addr := startProgram(t, amqpURL)
	pub := rabbit.NewPublisher(rabbit.Config{URL: amqpURL, ConnectionName: "test-publisher"}, testLogger())
	t.Cleanup(func() { pub.Close() })
	replies := consumeReplies(t, amqpURL)
	send := func(env msg.Envelope) msg.Envelope {
		t.Helper()
		publish(t, pub, env)
		return awaitReply(t, replies, env.ID)
	}

	in3Days := func() string { return fulfillment.AddBusinessDays(time.Now().UTC(), 3).Format(fulfillment.DateFormat) }
	before := in3Days()
	order := command(t, "order-1", &msg.ScheduleDelivery{OrderID: "order-1", ShippingAddress: address(),
		Items: []msg.DeliveryItem{{ISBN: isbnAlgorithms, Quantity: 2}, {ISBN: isbnDDIA, Quantity: 1}}})
	first := send(order)
	got := payload[msg.DeliveryScheduled](t, first)
	if got.OrderID != "order-1" || got.ShipmentID == "" || !regexp.MustCompile(`^BK\d{10}$`).MatchString(got.TrackingID) ||
		(got.ExpectedDate != before && got.ExpectedDate != in3Days()) {
		t.Errorf("reply to ScheduleDelivery: %+v, want a shipment, a BK tracking id and %s", got, before)
	}
	if again := send(order); again.ID != first.ID {
		t.Errorf("repeated ScheduleDelivery got reply %s %s, want the stored reply %s", again.Type, again.ID, first.ID)
	}
	checkStock(t, addr, map[string][2]int{isbnAlgorithms: {99998, 2}, isbnDDIA: {99999, 1}, isbn1984: {0, 0}})
	want := []map[string]any{{"id": got.ShipmentID, "order_id": "order-1", "status": "scheduled",
		"expected_date": got.ExpectedDate, "tracking_id": got.TrackingID}}
	checkJSON(t, addr+"/shipments?order_id=order-1", want)

	noStock := send(command(t, "order-2", &msg.ScheduleDelivery{OrderID: "order-2", ShippingAddress: address(),
		Items: []msg.DeliveryItem{{ISBN: isbnAlgorithms, Quantity: 1}, {ISBN: isbn1984, Quantity: 1}}}))
	if diff := cmp.Diff(msg.DeliveryFailed{OrderID: "order-2", Reason: "out_of_stock"}, payload[msg.DeliveryFailed](t, noStock)); diff != "" {
		t.Errorf("reply to ScheduleDelivery of %s (-want +got):\n%s", isbn1984, diff)
	}

	cancelled := send(command(t, "order-1", &msg.CancelDelivery{OrderID: "order-1"}))
	if diff := cmp.Diff(msg.DeliveryCancelled{OrderID: "order-1", ShipmentID: got.ShipmentID}, payload[msg.DeliveryCancelled](t, cancelled)); diff != "" {
		t.Errorf("reply to CancelDelivery (-want +got):\n%s", diff)
	}
	checkStock(t, addr, map[string][2]int{isbnAlgorithms: {100000, 0}, isbnDDIA: {100000, 0}, isbn1984: {0, 0}})
	want[0]["status"] = "cancelled"
	checkJSON(t, addr+"/shipments", want)
	checkMetric(t, addr, `bookshop_fulfillment_deliveries_total{outcome="out_of_stock"} 1`)
}

// startProgram runs the program until the test ends, checks that it stops
// cleanly, and returns its HTTP base URL.
func startProgram(t *testing.T, amqpURL string) string {
	t.Helper()
	env := map[string]string{
		"FULFILLMENT_AMQP_URL":           amqpURL,
		"FULFILLMENT_HTTP_ADDR":          "127.0.0.1:0",
		"FULFILLMENT_DATABASE_PATH":      filepath.Join(t.TempDir(), "fulfillment.db"),
		"FULFILLMENT_CATALOG_PATH":       catalogPath,
		"FULFILLMENT_AMQP_REQUEUE_DELAY": "50ms",
	}
	logs := &logWatch{addr: make(chan string, 1), verbose: testing.Verbose()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"fulfillment"}, func(k string) string { return env[k] }, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v after cancel", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return within 10s of cancel")
		}
	})
	select {
	case addr := <-logs.addr:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the program did not log that it started")
	}
	return ""
}

// logWatch is the program's stdout: it picks the HTTP address out of the
// "started" line (the program listens on port 0).
type logWatch struct {
	addr    chan string
	verbose bool
}

func (w *logWatch) Write(p []byte) (int, error) {
	if w.verbose {
		os.Stderr.Write(p)
	}
	var line struct {
		Msg  string `json:"msg"`
		Addr string `json:"http_addr"`
	}
	if json.Unmarshal(p, &line) == nil && line.Msg == "started" {
		select {
		case w.addr <- line.Addr:
		default:
		}
	}
	return len(p), nil
}

// consumeReplies consumes the orchestrator queue until the test ends.
func consumeReplies(t *testing.T, amqpURL string) <-chan []byte {
	t.Helper()
	out := make(chan []byte, 100)
	c := rabbit.NewConsumer(rabbit.Config{URL: amqpURL, ConnectionName: "test-orchestrator"}, msg.Orchestrator,
		func(_ context.Context, ds []rabbit.Delivery) []error {
			for _, d := range ds {
				out <- d.Body
			}
			return make([]error, len(ds))
		}, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return out
}

// command wraps m, a command about orderID, in a new envelope.
func command(t *testing.T, orderID string, m msg.Message) msg.Envelope {
	t.Helper()
	env, err := msg.New(m, orderID, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func publish(t *testing.T, pub *rabbit.Publisher, env msg.Envelope) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	err = pub.Publish(ctx, []rabbit.Publishing{{RoutingKey: msg.Fulfillment, MessageID: env.ID, Type: env.Type,
		CorrelationID: env.CorrelationID, Body: body}})
	if err != nil {
		t.Fatalf("publish %s: %v", env.Type, err)
	}
}

// awaitReply waits for the reply caused by command id.
func awaitReply(t *testing.T, replies <-chan []byte, id string) msg.Envelope {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case body := <-replies:
			env, _, err := msg.Decode(body)
			if err != nil {
				t.Fatalf("decode reply: %v", err)
			}
			if env.CausationID == id {
				return env
			}
			t.Logf("skipping reply %s to %s", env.Type, env.CausationID)
		case <-deadline:
			t.Fatalf("no reply to command %s within %v", id, waitLimit)
		}
	}
}

func payload[T any, PT interface {
	*T
	msg.Message
}](t *testing.T, env msg.Envelope) T {
	t.Helper()
	var v T
	if want := PT(&v).MessageType(); env.Type != want {
		t.Fatalf("reply is %s %s, want %s", env.Type, env.Payload, want)
	}
	if err := json.Unmarshal(env.Payload, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func checkStock(t *testing.T, base string, want map[string][2]int) {
	t.Helper()
	var rows []struct {
		ISBN      string `json:"isbn"`
		Available int    `json:"available"`
		Reserved  int    `json:"reserved"`
	}
	getJSON(t, base+"/stock", &rows)
	cat, err := catalog.Load(catalogPath)
	if err != nil {
		t.Fatal(err)
	}
	var got, order []string
	for i := range rows {
		got = append(got, rows[i].ISBN)
	}
	for _, b := range cat.Books {
		order = append(order, b.ISBN)
	}
	if diff := cmp.Diff(order, got); diff != "" {
		t.Errorf("GET /stock ISBNs, want the catalog's in its order (-want +got):\n%s", diff)
	}
	for _, r := range rows {
		if w, ok := want[r.ISBN]; ok && (w != [2]int{r.Available, r.Reserved}) {
			t.Errorf("GET /stock %s: available %d reserved %d, want %v", r.ISBN, r.Available, r.Reserved, w)
		}
	}
}

func checkJSON(t *testing.T, url string, want any) {
	t.Helper()
	var got []map[string]any
	getJSON(t, url, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET %s (-want +got):\n%s", url, diff)
	}
}

func checkMetric(t *testing.T, base, line string) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), line) {
		t.Errorf("GET /metrics lacks %q", line)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func address() msg.Address {
	return msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"}
}

func testLogger() *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
