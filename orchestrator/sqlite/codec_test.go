package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/pkg/msg"
)

// fullData sets every field of orchestrator.Data, so that a field added
// later and missed by the codec shows up (TestDecodeDataAsEncodingJSON
// checks that none is left zero).
func fullData() orchestrator.Data {
	return orchestrator.Data{OrderID: "ord-1", Customer: msg.Customer{Name: "Ada <Lovelace> & \"Co\"\u2028", Email: "ada@example.com"},
		Items: []msg.Item{{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Cormen", Quantity: 1, PriceCents: 9500},
			{ISBN: "9780201633610", Title: "Design Patterns \\ é 日本", Quantity: 2, PriceCents: 4500}},
		TotalCents: 18500, Currency: "EUR", PaymentToken: "tok_visa",
		ShippingAddress: msg.Address{Line1: "12 St James's Square", Line2: "\t2nd floor", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		PlacedAt:        time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC), PaymentID: "pay-1", ChargedCents: 18500,
		RefundedCents: 18500, ShipmentID: "shp-1", TrackingID: "TRK1", ExpectedDate: "2026-12-01",
		FailureReason: "out_of_stock", CancelledBy: "customer"}
}

func TestDecodeDataAsEncodingJSON(t *testing.T) {
	full := fullData()
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullData leaves %s zero", v.Type().Field(i).Name)
		}
	}
	for _, d := range []orchestrator.Data{full, {OrderID: "ord-2"}, {}} {
		raw, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var want, got orchestrator.Data
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeData(raw, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeData(%s)\n got %+v\nwant %+v", raw, got, want)
		}
	}
	// What json/v2 refuses and encoding/json reads: both ways the same.
	for _, raw := range []string{
		`{"order_id":"ord-1","order_id":"ord-2"}`, // a duplicate key
		"{\"order_id\":\"ord-\xff\"}",             // invalid UTF-8
		`{"ORDER_ID":"ord-1","total_cents":5}`,    // another case
		`{"orderid":"ord-1","Total_Cents":5}`,     // no delimiter
		`{"Order_Id":"ord-1","order_id":"ord-2"}`, // exact and folded
		`{"order_id":"ord-2","Order_Id":"ord-1"}`,
	} {
		var want, got orchestrator.Data
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		if err := decodeData([]byte(raw), &got); err != nil {
			t.Fatalf("decodeData(%s): %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("decodeData(%s)\n got %+v\nwant %+v", raw, got, want)
		}
	}
	var d orchestrator.Data
	if err := decodeData([]byte(`{"order_id":`), &d); err == nil {
		t.Error("decodeData of broken JSON: no error")
	}
}

// BenchmarkDecodeData reads a saga's data column as Store.Get does, and as
// encoding/json alone did.
func BenchmarkDecodeData(b *testing.B) {
	raw, _ := json.Marshal(fullData())
	for _, c := range []struct {
		name   string
		decode func([]byte, *orchestrator.Data) error
	}{
		{"decodeData", decodeData},
		{"encoding-json", func(raw []byte, d *orchestrator.Data) error { return json.Unmarshal(raw, d) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var d orchestrator.Data
				if err := c.decode(raw, &d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
