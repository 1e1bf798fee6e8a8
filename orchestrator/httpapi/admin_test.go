package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/httpapi"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/retry"
	pkgsqlite "bookshop/pkg/sqlite"
)

const token = "test-admin-token-0123456789"

// newServer serves the admin API over a real SQLite file holding two sagas.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := pkgsqlite.Open(ctx, filepath.Join(t.TempDir(), "o.db"), pkgsqlite.Options{},
		outbox.Migrations, inbox.Migrations, sqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := orchestrator.Purchase.Compile()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := &orchestrator.Orchestrator{Engine: &orchestrator.Engine{Machine: m, StepTimeout: time.Minute,
		Backoff: retry.Policy{Initial: time.Second, MaxAttempts: 3}, NewID: msg.NewID, Rand: func() float64 { return 0 }},
		Store: sqlite.Store{}, Log: log, Now: time.Now}
	p := &inbox.Processor{DB: db, Handle: o.Handle, Log: log}
	for _, id := range []string{"ord-1", "ord-2"} {
		env, _ := msg.New(&msg.StartPurchase{OrderID: id, Customer: msg.Customer{Name: "Ada", Email: "a@example.com"},
			Items: []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 100}}, TotalCents: 100, Currency: "EUR",
			PaymentToken: "tok_visa", ShippingAddress: msg.Address{Line1: "x", Country: "GB"}}, id, "", time.Now())
		body, _ := env.Marshal()
		if err := p.HandleBatch(ctx, [][]byte{body})[0]; err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	(&httpapi.Admin{Reader: sqlite.Reader{DB: db}, Machine: m, Token: token, Now: time.Now}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAdminAPI(t *testing.T) {
	srv := newServer(t)
	ok := "Bearer " + token
	tests := []struct {
		name, path, auth string
		status           int
		contains         string
	}{
		{"no token", "/admin/stats", "", 401, "bearer token"},
		{"wrong token", "/admin/stats", "Bearer nope", 401, ""},
		{"stats", "/admin/stats", ok, 200, `"charging_payment": 2`},
		{"one order", "/admin/orders/ord-1", ok, 200, `"event": "command"`},
		{"unknown order", "/admin/orders/nope", ok, 404, "no order nope"},
		{"list by state", "/admin/orders?state=charging_payment&limit=1", ok, 200, `"id": "ord-1"`},
		{"bad state", "/admin/orders?state=flying", ok, 400, "not a saga state"},
		{"bad limit", "/admin/orders?limit=0", ok, 400, "limit"},
		{"bad cursor", "/admin/orders?after=!!", ok, 400, "cursor"},
		{"nothing stuck", "/admin/orders?stuck=true", ok, 200, `"orders": []`},
		{"diagram", "/admin/saga", ok, 200, "charging_payment --> scheduling_delivery: charged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, srv, tt.path, tt.auth)
			if status != tt.status || !strings.Contains(body, tt.contains) {
				t.Errorf("GET %s = %d %s\nwant %d containing %q", tt.path, status, body, tt.status, tt.contains)
			}
		})
	}
}

func TestAdminListPaginates(t *testing.T) {
	srv := newServer(t)
	var page struct {
		Orders []struct{ ID string } `json:"orders"`
		Next   string                `json:"next"`
	}
	_, body := get(t, srv, "/admin/orders?limit=1", "Bearer "+token)
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Orders) != 1 || page.Next == "" {
		t.Fatalf("first page %s (%v)", body, err)
	}
	_, body = get(t, srv, "/admin/orders?limit=1&after="+page.Next, "Bearer "+token)
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Orders) != 1 || page.Orders[0].ID != "ord-2" || page.Next != "" {
		t.Fatalf("second page %s (%v)", body, err)
	}
}
