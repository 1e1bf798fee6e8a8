package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"
)

// TestOrderJSONAsEncoder requires appendOrderJSON to write exactly what
// json.Encoder with SetIndent("", "  ") writes, for orders with and
// without every optional part and with strings that need escaping.
func TestOrderJSONAsEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	strs := []string{"", "ord-01JD", "Ada Lovelace", "ada@example.com", "12 St James's Square",
		`quote " and \ backslash`, "<b>&amp;</b>", "tab\tnew\nline\r\b\f\x00\x1f\x7f", "Zoë 東京 😀",
		"bad \xff utf-8 \xe2\x82", "\u2028\u2029", "9781449373320"}
	s := func() string { return strs[rng.IntN(len(strs))] }
	times := []time.Time{{}, time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 25, 10, 30, 0, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC)}
	tm := func() time.Time { return times[rng.IntN(len(times))] }
	for i := range 2000 {
		o := orderJSON{ID: s(), Status: s(), State: s(), TotalCents: rng.Int64N(1e7) - 5e5, Currency: s(),
			Customer:        msg.Customer{Name: s(), Email: s()},
			ShippingAddress: msg.Address{Line1: s(), Line2: s(), City: s(), PostalCode: s(), Country: s()},
			Delivery:        deliveryJSON{ExpectedDate: s(), TrackingID: s()},
			FailureReason:   s(), CanCancel: rng.IntN(2) == 0, CreatedAt: tm(), UpdatedAt: tm()}
		switch n := rng.IntN(5); n {
		case 0:
		case 1:
			o.Items = []msg.Item{}
		default:
			for range n - 1 {
				o.Items = append(o.Items, msg.Item{ISBN: s(), Title: s(), Author: s(),
					Quantity: rng.IntN(200) - 100, PriceCents: rng.Int64N(1e6)})
			}
		}
		if rng.IntN(2) == 0 {
			at := tm()
			o.CancelRequestedAt = &at
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(o); err != nil {
			t.Fatal(err)
		}
		if got := appendOrderJSON(nil, o); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("order %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
}

// TestOrderJSONFields fails when a type the order is made of gains,
// loses or renames a field: appendOrderJSON must then be changed with it.
func TestOrderJSONFields(t *testing.T) {
	want := map[reflect.Type]string{
		reflect.TypeFor[orderJSON](): "id status state items total_cents currency customer shipping_address " +
			"delivery failure_reason can_cancel cancel_requested_at,omitempty created_at updated_at",
		reflect.TypeFor[msg.Item]():     "isbn title,omitempty author,omitempty quantity price_cents",
		reflect.TypeFor[msg.Customer](): "name email",
		reflect.TypeFor[msg.Address]():  "line1 line2,omitempty city postal_code country",
		reflect.TypeFor[deliveryJSON](): "expected_date tracking_id",
	}
	for typ, tags := range want {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Tag.Get("json"))
		}
		if strings.Join(got, " ") != tags {
			t.Errorf("%v has json tags %q; appendOrderJSON writes %q", typ, strings.Join(got, " "), tags)
		}
	}
}
