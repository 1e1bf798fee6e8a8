package msg_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

// The rolling-upgrade rules of the message contracts (README, "Rolling
// upgrades"): during an upgrade an old and a new build of a program run
// against each other's messages, so
//   - a message from a newer producer, with fields this build does not know
//     (in the envelope, the payload, or any nested object), decodes as if
//     they were not there;
//   - a message missing a field this build requires is a permanent error
//     naming the field (the consumer dead-letters it with that reason)
//     rather than a zero value acted on;
//   - a consumer reads every envelope version from 1 to msg.Version and
//     refuses, permanently, any other.

// optional lists, per type, the payload keys a producer may leave out: the
// rest are required, and this test fails when that changes in either
// direction (making a field required, or no longer checking it, is a
// contract change that needs the two-release rule).
var optional = map[string][]string{
	"CancelPurchase":     {"reason", "requested_by"},
	"DeliveryCancelled":  {"shipment_id"},
	"OrderStatusChanged": {"previous_state", "event", "expected_date", "tracking_id", "total_cents", "currency", "occurred_at"},
	"PaymentRefunded":    {"payment_id", "amount_cents", "currency"}, // a no-op refund carries 0 cents
	"SendEmail":          {"customer_name", "items", "total_cents", "expected_date", "tracking_id"},
	"StartPurchase":      {"placed_at"},
}

// golden reads the pinned JSON of every message type as a generic document.
func golden(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, typ := range msg.Types() {
		raw, err := os.ReadFile(filepath.Join("testdata", typ+".json"))
		if err != nil {
			t.Fatalf("read golden of %s: %v", typ, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("parse golden of %s: %v", typ, err)
		}
		out[typ] = doc
	}
	return out
}

func mustDecode(t *testing.T, doc map[string]any) (msg.Envelope, msg.Message) {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	env, m, err := msg.Decode(raw)
	if err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return env, m
}

// withExtras returns a deep copy of v with a field this build does not know
// added to every object in it, nested ones included.
func withExtras(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{"added_in_a_later_release": map[string]any{"note": "ignored", "n": 7}}
		for k, val := range x {
			out[k] = withExtras(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = withExtras(val)
		}
		return out
	}
	return v
}

func TestNewerProducerExtraFieldsAreIgnored(t *testing.T) {
	for typ, doc := range golden(t) {
		t.Run(typ, func(t *testing.T) {
			wantEnv, want := mustDecode(t, doc)
			newer := withExtras(doc).(map[string]any)
			newer["trace_id"] = "4bf92f3577b34da6a3ce929d0e0e4736" // an envelope field of the future
			gotEnv, got := mustDecode(t, newer)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("payload with unknown fields decodes differently (-plain +extras):\n%s", diff)
			}
			wantEnv.Payload, gotEnv.Payload = nil, nil
			if diff := cmp.Diff(wantEnv, gotEnv); diff != "" {
				t.Errorf("envelope with unknown fields decodes differently (-plain +extras):\n%s", diff)
			}
		})
	}
}

func TestMissingRequiredFieldIsPermanentAndNamed(t *testing.T) {
	for typ, doc := range golden(t) {
		payload := doc["payload"].(map[string]any)
		for key := range payload {
			t.Run(typ+"/"+key, func(t *testing.T) {
				older := withExtras(doc).(map[string]any) // a deep copy
				delete(older["payload"].(map[string]any), key)
				raw, _ := json.Marshal(older)
				_, _, err := msg.Decode(raw)
				if slices.Contains(optional[typ], key) {
					if err != nil {
						t.Fatalf("%s without optional %s: %v", typ, key, err)
					}
					return
				}
				checkNamed(t, err, key)
			})
		}
	}
}

// Nested required fields are named with their path.
func TestMissingNestedFieldIsNamed(t *testing.T) {
	docs := golden(t)
	tests := []struct {
		typ, parent, key, want string
	}{
		{"StartPurchase", "customer", "name", "customer.name"},
		{"StartPurchase", "customer", "email", "customer.email"},
		{"StartPurchase", "shipping_address", "line1", "shipping_address"},
		{"StartPurchase", "shipping_address", "country", "shipping_address"},
		{"ScheduleDelivery", "shipping_address", "line1", "shipping_address"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s.%s", tt.typ, tt.parent, tt.key), func(t *testing.T) {
			doc := withExtras(docs[tt.typ]).(map[string]any)
			delete(doc["payload"].(map[string]any)[tt.parent].(map[string]any), tt.key)
			raw, _ := json.Marshal(doc)
			_, _, err := msg.Decode(raw)
			checkNamed(t, err, tt.want)
		})
	}
}

func TestVersionRange(t *testing.T) {
	doc := golden(t)["ChargePayment"]
	for v := 0; v <= msg.Version+1; v++ {
		t.Run(fmt.Sprint("version ", v), func(t *testing.T) {
			doc["version"] = v
			raw, _ := json.Marshal(doc)
			_, _, err := msg.Decode(raw)
			if v >= 1 && v <= msg.Version {
				if err != nil {
					t.Fatalf("this build must read version %d (1..%d): %v", v, msg.Version, err)
				}
				return
			}
			checkNamed(t, err, fmt.Sprintf("unsupported version %d", v))
		})
	}
}

func checkNamed(t *testing.T, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("decoded without %s: want a permanent error naming it", name)
	}
	if !strings.Contains(err.Error(), name) {
		t.Errorf("error %q does not name %s", err, name)
	}
	if !msg.IsPermanent(err) {
		t.Errorf("error %q is not permanent: the message would be retried instead of dead-lettered", err)
	}
}
