package sqlite

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/pkg/msg"
	"bookshop/pkg/sqlite"
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

func TestTimeAsPkgSqlite(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{{}, time.Unix(0, 0), time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Now(), time.Now().In(time.FixedZone("x", -7*3600))}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(300e9)-50e9, r.Int64N(1e9)))
	}
	for _, tm := range times {
		want := sqlite.Time(tm)
		if got := formatTime(tm); got != want {
			t.Fatalf("formatTime(%v) = %q, want %q", tm, got, want)
		}
		wantT, wantErr := sqlite.ParseTime(want)
		gotT, gotErr := parseTime(want)
		if gotT != wantT || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("parseTime(%q) = %v, %v; want %v, %v", want, gotT, gotErr, wantT, wantErr)
		}
	}
	for _, s := range []string{"", "2026-02-30T00:00:00.000000000Z", "2026-13-01T00:00:00.000000000Z",
		"2026-01-01T24:00:00.000000000Z", "2026-01-01T00:60:00.000000000Z", "2026-01-01T00:00:60.000000000Z",
		"2026-01-01T00:00:00.00000000xZ", "2026-01-01 00:00:00.000000000Z", "2026-01-01T00:00:00Z",
		"+026-01-01T00:00:00.000000000Z", "2026-00-01T00:00:00.000000000Z", "2026-01-00T00:00:00.000000000Z"} {
		wantT, wantErr := sqlite.ParseTime(s)
		gotT, gotErr := parseTime(s)
		if gotT != wantT || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v", s, gotT, gotErr, wantT, wantErr)
		}
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
