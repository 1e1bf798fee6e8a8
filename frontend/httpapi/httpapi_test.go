package httpapi_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"bookshop/frontend"
	"bookshop/frontend/httpapi"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

// env is the frontend's HTTP surface on a real SQLite file, with a fixed
// clock and order ids ord-2, ord-3, ... (ord-1 is an order heard of only
// from its events).
type env struct {
	srv      *httptest.Server
	db       *sqlx.DB
	registry *prometheus.Registry
}

// testBooks is a small catalog.
func testBooks() []catalog.Book {
	books := []catalog.Book{
		{ISBN: "9781449373320", Title: "Designing Data-Intensive Applications", Author: "Martin Kleppmann",
			PriceCents: 4299, Currency: "EUR", Stock: 3},
		{ISBN: "9780451524935", Title: "Nineteen Eighty-Four", Author: "George Orwell",
			PriceCents: 999, Currency: "EUR", Stock: 0},
		{ISBN: "9780134190440", Title: "The Go Programming Language", Author: "Alan A. A. Donovan, Brian W. Kernighan",
			PriceCents: 3999, Currency: "USD", Stock: 5},
	}
	return books
}

// withVolumes adds 60 generated books, so that an order of 50 different
// lines can be placed.
func withVolumes(books []catalog.Book) []catalog.Book {
	for i := range 60 {
		books = append(books, catalog.Book{ISBN: isbn(fmt.Sprintf("978100000%03d", i)),
			Title: fmt.Sprintf("Volume %d", i), Author: "A. Writer", PriceCents: 100, Currency: "EUR", Stock: 1})
	}
	return books
}

// isbn completes 12 digits with the ISBN-13 check digit.
func isbn(twelve string) string {
	sum := 0
	for i, r := range twelve {
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return fmt.Sprintf("%s%d", twelve, (10-sum%10)%10)
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, testBooks()) }

func newEnvWith(t *testing.T, books []catalog.Book) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "frontend.db"), sqlite.Options{},
		outbox.Migrations, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := catalog.New(books)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fsqlite.Orders{}.Apply(ctx, db, frontend.Order{ID: "ord-1", State: "sending_confirmation",
		Status: "processing", Version: 3, Event: "delivery_scheduled", ExpectedDate: "2026-11-30",
		TrackingID: "BK123456789", TotalCents: 4299, Currency: "EUR", CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var n atomic.Int64
	n.Store(1)
	newID := func() string { return fmt.Sprintf("ord-%d", n.Add(1)) }
	reg := prometheus.NewRegistry()
	metrics, err := frontend.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	shop := frontend.NewShop(frontend.Deps{Catalog: cat, DB: db, Orders: fsqlite.Orders{}, Log: log,
		Now: func() time.Time { return t0 }, NewID: newID, Metrics: metrics})
	mux := http.NewServeMux()
	live, stop := context.WithCancel(context.Background())
	err = httpapi.Register(mux, shop, httpapi.Options{Log: log, Registry: reg, ShopMetrics: metrics,
		Live: live, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { stop(); srv.Close() })
	return &env{srv: srv, db: db, registry: reg}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t)
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
		{"/orders/ord-1", 200, "text/html; charset=utf-8", "order_page.html"},
		{"/orders/nope", 404, "text/html; charset=utf-8", ""},
		{"/static/app.css", 200, "text/css; charset=utf-8", ""},
		{"/static/shop.js", 200, "text/javascript; charset=utf-8", ""},
		{"/static/order.js", 200, "text/javascript; charset=utf-8", ""},
		{"/no-such-page", 404, "text/plain; charset=utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := do(t, e, "GET", tt.path, "", nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, []byte(body))
			}
		})
	}
}

// do sends one request and returns the response and its body.
func do(t *testing.T, e *env, method, path, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
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
