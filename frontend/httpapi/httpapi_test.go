package httpapi_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/frontend"
	"bookshop/frontend/httpapi"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "frontend.db"), sqlite.Options{}, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := catalog.New([]catalog.Book{
		{ISBN: "9781449373320", Title: "Designing Data-Intensive Applications", Author: "Martin Kleppmann",
			PriceCents: 4299, Currency: "EUR", Stock: 3},
		{ISBN: "9780451524935", Title: "Nineteen Eighty-Four", Author: "George Orwell",
			PriceCents: 999, Currency: "EUR", Stock: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	views := &fsqlite.OrderViews{DB: db}
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	_, err = views.Apply(ctx, db, frontend.Order{ID: "ord-1", State: "sending_confirmation",
		Status: "processing", Version: 3, Event: "delivery_scheduled", ExpectedDate: "2026-11-30",
		TrackingID: "BK123456789", TotalCents: 4299, Currency: "EUR", CreatedAt: at, UpdatedAt: at.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	shop := frontend.NewShop(cat, views, log, time.Now, nil)
	mux := http.NewServeMux()
	if err := httpapi.Register(mux, shop, log); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRoutes(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path        string
		status      int
		contentType string
		golden      string
	}{
		{"/api/books", 200, "application/json", "books.json"},
		{"/api/orders/ord-1", 200, "application/json", "order.json"},
		{"/api/orders/nope", 404, "application/problem+json", "order_not_found.json"},
		{"/", 200, "text/html; charset=utf-8", "storefront.html"},
		{"/no-such-page", 404, "text/plain; charset=utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, body)
			}
		})
	}
}

// checkGolden compares got with testdata/name; go test -update rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("%s differs (-want +got); go test -update rewrites it:\n%s", path, diff)
	}
}
