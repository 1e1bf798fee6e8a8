package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"bookshop/fulfillment"
	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit/rabbittest"
	"bookshop/pkg/service/servicetest"

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
	replies := servicetest.Consume(t, amqpURL, msg.Orchestrator)
	send := func(env msg.Envelope) msg.Envelope {
		t.Helper()
		servicetest.Publish(t, amqpURL, msg.Fulfillment, env)
		return awaitReply(t, replies, env.ID)
	}

	in3Days := func() string { return fulfillment.AddBusinessDays(time.Now().UTC(), 3).Format(fulfillment.DateFormat) }
	before := in3Days()
	order := servicetest.Envelope(t, &msg.ScheduleDelivery{OrderID: "order-1", ShippingAddress: address(),
		Items: []msg.DeliveryItem{{ISBN: isbnAlgorithms, Quantity: 2}, {ISBN: isbnDDIA, Quantity: 1}}}, "order-1")
	first := send(order)
	got := servicetest.Payload[msg.DeliveryScheduled](t, first)
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

	noStock := send(servicetest.Envelope(t, &msg.ScheduleDelivery{OrderID: "order-2", ShippingAddress: address(),
		Items: []msg.DeliveryItem{{ISBN: isbnAlgorithms, Quantity: 1}, {ISBN: isbn1984, Quantity: 1}}}, "order-2"))
	if diff := cmp.Diff(msg.DeliveryFailed{OrderID: "order-2", Reason: "out_of_stock"}, servicetest.Payload[msg.DeliveryFailed](t, noStock)); diff != "" {
		t.Errorf("reply to ScheduleDelivery of %s (-want +got):\n%s", isbn1984, diff)
	}

	cancelled := send(servicetest.Envelope(t, &msg.CancelDelivery{OrderID: "order-1"}, "order-1"))
	if diff := cmp.Diff(msg.DeliveryCancelled{OrderID: "order-1", ShipmentID: got.ShipmentID}, servicetest.Payload[msg.DeliveryCancelled](t, cancelled)); diff != "" {
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
	p := servicetest.Start(t, "fulfillment", run, map[string]string{
		"FULFILLMENT_AMQP_URL":           amqpURL,
		"FULFILLMENT_HTTP_ADDR":          "127.0.0.1:0",
		"FULFILLMENT_DATABASE_PATH":      filepath.Join(t.TempDir(), "fulfillment.db"),
		"FULFILLMENT_CATALOG_PATH":       catalogPath,
		"FULFILLMENT_AMQP_REQUEUE_DELAY": "50ms",
	})
	var addr string
	servicetest.WaitFor(t, waitLimit, "the program to log that it started", func() bool {
		addr = startedAddr(p.Logs.String())
		return addr != ""
	})
	return "http://" + addr
}

// startedAddr picks the HTTP address out of the program's "started" log
// line (the program listens on port 0), or returns "".
func startedAddr(logs string) string {
	for l := range strings.Lines(logs) {
		var line struct {
			Msg  string `json:"msg"`
			Addr string `json:"http_addr"`
		}
		if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "started" {
			return line.Addr
		}
	}
	return ""
}

// awaitReply waits for the reply caused by command id.
func awaitReply(t *testing.T, replies <-chan msg.Envelope, id string) msg.Envelope {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		env := servicetest.Next(t, replies, time.Until(deadline))
		if env.CausationID == id {
			return env
		}
		t.Logf("skipping reply %s to %s", env.Type, env.CausationID)
	}
}

func checkStock(t *testing.T, base string, want map[string][2]int) {
	t.Helper()
	var rows []struct {
		ISBN      string `json:"isbn"`
		Available int    `json:"available"`
		Reserved  int    `json:"reserved"`
	}
	servicetest.GetJSON(t, base+"/stock", &rows)
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
	servicetest.GetJSON(t, url, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET %s (-want +got):\n%s", url, diff)
	}
}

func checkMetric(t *testing.T, base, line string) {
	t.Helper()
	_, _, body := servicetest.Get(t, base+"/metrics")
	if !strings.Contains(string(body), line) {
		t.Errorf("GET /metrics lacks %q", line)
	}
}

func address() msg.Address {
	return msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"}
}
