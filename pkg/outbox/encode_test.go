package outbox_test

import (
	"encoding/json"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"

	"github.com/google/go-cmp/cmp"
)

// Replies built from the encoded bodies read back as the messages, as
// json.Marshal of them would.
func TestRepliesRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	a, err := msg.New(&msg.PaymentCharged{OrderID: "o<1>", PaymentID: "pay-1", AmountCents: 9500, Currency: "EUR"}, "o<1>", "c-1", at)
	if err != nil {
		t.Fatal(err)
	}
	b, err := msg.New(&msg.OrderStatusChanged{OrderID: "o<1>", State: "completed", Version: 2, OccurredAt: at}, "o<1>", "", at)
	if err != nil {
		t.Fatal(err)
	}
	for _, outs := range [][]msg.Outgoing{nil, {a.To(msg.Orchestrator)}, {a.To(msg.Orchestrator), b.To(msg.Frontend)}} {
		enc, err := outbox.Encode(outs...)
		if err != nil {
			t.Fatal(err)
		}
		raw := outbox.Replies(enc)
		want, _ := json.Marshal(outs)
		var got, wantBack []msg.Outgoing
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("Replies %s: %v", raw, err)
		}
		if err := json.Unmarshal(want, &wantBack); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantBack, got); diff != "" {
			t.Errorf("Replies differ from json.Marshal (-want +got):\n%s", diff)
		}
		if !json.Valid(raw) || (outs == nil) != (string(raw) == "null") {
			t.Errorf("Replies(%d messages) = %s", len(outs), raw)
		}
	}
}
