package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"bookshop/fulfillment"
	"bookshop/fulfillment/httpapi"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/service/servicetest"
	db "bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

const (
	isbnA = "9780262033848"
	isbnB = "9780321200686"
	isbnZ = "9780451524935"
)

// newServer serves the API over a real database holding stock for A, B and
// Z (Z no longer in the catalog) and two shipments.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	sdb, err := db.Open(ctx, filepath.Join(t.TempDir(), "f.db"), db.Options{}, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	var books []catalog.Book
	for _, isbn := range []string{isbnZ, isbnA, isbnB} {
		books = append(books, catalog.Book{ISBN: isbn, Title: "T", Author: "A", PriceCents: 1, Currency: "EUR", Stock: 3})
	}
	if _, err := fsqlite.SeedStock(ctx, sdb, books); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 11, 28, 10, 0, 0, 0, time.UTC)
	err = db.InTx(ctx, sdb, func(tx *sqlx.Tx) error {
		s := fsqlite.New(tx)
		for i, order := range []string{"order-1", "order-2"} {
			line := []fulfillment.Line{{ISBN: isbnA, Quantity: 1}}
			err := errors.Join(s.Reserve(ctx, line), s.CreateShipment(ctx, fulfillment.Shipment{
				ID: "shp-" + order, OrderID: order, Status: "scheduled", ExpectedDate: "2025-12-03",
				TrackingID: "BK000000000" + order[6:], Address: "{}", CreatedAt: at.Add(time.Duration(i) * time.Second),
				Lines: line}))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	httpapi.Routes(mux, fsqlite.New(sdb), []string{isbnB, isbnA}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// get GETs url, requires 200 application/json, and decodes the body as a T.
func get[T any](t *testing.T, url string) T {
	t.Helper()
	status, ctype, body := servicetest.Get(t, url)
	if status != http.StatusOK || ctype != "application/json" {
		t.Fatalf("GET %s: %d %s", url, status, ctype)
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	return v
}

func TestStock(t *testing.T) {
	srv := newServer(t)
	got := get[[]httpapi.Stock](t, srv.URL+"/stock")
	want := []httpapi.Stock{ // catalog order, then what the catalog no longer lists
		{ISBN: isbnB, Available: 3}, {ISBN: isbnA, Available: 1, Reserved: 2}, {ISBN: isbnZ, Available: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /stock (-want +got):\n%s", diff)
	}
}

func TestShipments(t *testing.T) {
	srv := newServer(t)
	shp := func(n string) httpapi.Shipment {
		return httpapi.Shipment{ID: "shp-order-" + n, OrderID: "order-" + n, Status: "scheduled",
			ExpectedDate: "2025-12-03", TrackingID: "BK000000000" + n}
	}
	tests := []struct {
		query string
		want  []httpapi.Shipment
	}{
		{"", []httpapi.Shipment{shp("2"), shp("1")}},
		{"?order_id=order-1", []httpapi.Shipment{shp("1")}},
		{"?order_id=nope", []httpapi.Shipment{}},
	}
	for _, tt := range tests {
		got := get[[]httpapi.Shipment](t, srv.URL+"/shipments"+tt.query)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("GET /shipments%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestShipmentsJSONNames(t *testing.T) {
	srv := newServer(t)
	got := get[[]map[string]any](t, srv.URL+"/shipments?order_id=order-1")
	want := []map[string]any{{"id": "shp-order-1", "order_id": "order-1", "status": "scheduled",
		"expected_date": "2025-12-03", "tracking_id": "BK0000000001"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /shipments JSON (-want +got):\n%s", diff)
	}
}
