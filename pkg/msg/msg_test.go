package msg_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

var at = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

var (
	items   = []msg.Item{{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Thomas H. Cormen", Quantity: 1, PriceCents: 9500}}
	address = msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"}
)

// examples holds one valid value of every message type.
var examples = []msg.Message{
	&msg.StartPurchase{OrderID: "ord-1", Customer: msg.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items: items, TotalCents: 9500, Currency: "EUR", PaymentToken: "tok_visa", ShippingAddress: address, PlacedAt: at},
	&msg.CancelPurchase{OrderID: "ord-1", Reason: "changed my mind", RequestedBy: "customer"},
	&msg.ChargePayment{OrderID: "ord-1", AmountCents: 9500, Currency: "EUR", PaymentToken: "tok_visa"},
	&msg.PaymentCharged{OrderID: "ord-1", PaymentID: "pay-1", AmountCents: 9500, Currency: "EUR"},
	&msg.PaymentDeclined{OrderID: "ord-1", Reason: "insufficient_funds"},
	&msg.RefundPayment{OrderID: "ord-1", AmountCents: 9500, Currency: "EUR"},
	&msg.PaymentRefunded{OrderID: "ord-1", PaymentID: "pay-2", AmountCents: 9500, Currency: "EUR"},
	&msg.ScheduleDelivery{OrderID: "ord-1", Items: []msg.DeliveryItem{{ISBN: "9780262033848", Quantity: 1}}, ShippingAddress: address},
	&msg.DeliveryScheduled{OrderID: "ord-1", ShipmentID: "shp-1", TrackingID: "BK123456789", ExpectedDate: "2026-11-30"},
	&msg.DeliveryFailed{OrderID: "ord-1", Reason: "out_of_stock"},
	&msg.CancelDelivery{OrderID: "ord-1"},
	&msg.DeliveryCancelled{OrderID: "ord-1", ShipmentID: "shp-1"},
	&msg.SendEmail{OrderID: "ord-1", Template: msg.TemplateOrderConfirmed, To: "ada@example.com", CustomerName: "Ada Lovelace",
		Items: items, TotalCents: 9500, Currency: "EUR", ExpectedDate: "2026-11-30", TrackingID: "BK123456789"},
	&msg.EmailSent{OrderID: "ord-1", Template: msg.TemplateOrderConfirmed, EmailID: "eml-1"},
	&msg.OrderStatusChanged{OrderID: "ord-1", State: "completed", PreviousState: "sending_confirmation", Event: "confirmation_sent",
		Version: 4, TotalCents: 9500, Currency: "EUR", ExpectedDate: "2026-11-30", TrackingID: "BK123456789", OccurredAt: at},
}

func TestEveryTypeHasAnExample(t *testing.T) {
	var got []string
	for _, m := range examples {
		got = append(got, m.MessageType())
	}
	want := msg.Types()
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("examples do not cover the registered types (-registered +examples):\n%s", diff)
	}
}

// TestGolden pins the JSON of every message type: other services depend on it.
func TestGolden(t *testing.T) {
	for _, m := range examples {
		t.Run(m.MessageType(), func(t *testing.T) {
			env, err := msg.NewWithID("01JCMD000000000000000000", m, "ord-1", "01JCAUSE0000000000000000", at)
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.MarshalIndent(env, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			body = append(body, '\n')
			path := filepath.Join("testdata", m.MessageType()+".json")
			if *update {
				if err := os.WriteFile(path, body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test -update): %v", err)
			}
			if diff := cmp.Diff(string(want), string(body)); diff != "" {
				t.Errorf("JSON changed (-golden +now):\n%s", diff)
			}
			_, got, err := msg.Decode(want)
			if err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			if diff := cmp.Diff(m, got); diff != "" {
				t.Errorf("round trip (-sent +decoded):\n%s", diff)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"not json", `{not json`, "decode envelope"},
		{"no type", `{"id":"x","version":1}`, "id and type are required"},
		{"unknown type", `{"id":"x","type":"ShipRocket","version":1,"payload":{}}`, "unknown message type"},
		{"future version", `{"id":"x","type":"CancelDelivery","version":99,"payload":{"order_id":"o"}}`, "unsupported version 99"},
		{"missing field", `{"id":"x","type":"ChargePayment","version":1,"payload":{"order_id":"o","currency":"EUR","payment_token":"t"}}`, "amount_cents"},
		{"payload of wrong shape", `{"id":"x","type":"CancelDelivery","version":1,"payload":{"order_id":7}}`, "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := msg.Decode([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Decode error = %v, want one containing %q", err, tt.wantErr)
			}
			if !msg.IsPermanent(err) {
				t.Errorf("Decode error %v is not permanent: it would be retried forever", err)
			}
		})
	}
}

// A newer producer may add fields; an older consumer must ignore them.
func TestDecodeIgnoresUnknownFields(t *testing.T) {
	body := `{"id":"x","type":"CancelDelivery","version":1,"correlation_id":"o","added_later":true,
		"payload":{"order_id":"o","warehouse":"north"}}`
	env, m, err := msg.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(*msg.CancelDelivery).OrderID; got != "o" || env.CorrelationID != "o" {
		t.Errorf("decoded %+v %+v", env, m)
	}
}

func TestNewIDIsUniqueAndOrdered(t *testing.T) {
	prev := ""
	for range 1000 {
		id := msg.NewID()
		if id <= prev {
			t.Fatalf("id %s not after %s", id, prev)
		}
		prev = id
	}
}

// Marshal is written by hand; it must give exactly json.Marshal's bytes.
func TestMarshalIsJSONMarshal(t *testing.T) {
	envs := []msg.Envelope{
		{}, // zero: null payload, zero time
		{ID: "a<b>&\"c\\", Type: "T\u00e9\n", Version: 7, CorrelationID: "ord-\u2028", CausationID: "",
			SentAt: time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600)), Payload: json.RawMessage(`{"a": [1, 2]}`)},
	}
	for _, m := range examples {
		env, err := msg.New(m, "ord-1", "cause-1", at)
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
	}
	for _, env := range envs {
		got, err := env.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", env.Type, err)
		}
		want, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", env.Type, got, want)
		}
	}
	bad := msg.Envelope{ID: "x", Payload: json.RawMessage(`{"a":`)}
	if _, err := bad.Marshal(); err == nil {
		t.Error("an envelope with an invalid payload encoded without an error")
	}
}
