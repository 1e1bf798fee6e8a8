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

	"bookshop/billing"
	"bookshop/billing/httpapi"
	bsqlite "bookshop/billing/sqlite"
	"bookshop/pkg/service/servicetest"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

func server(t *testing.T, l httpapi.Lister) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	httpapi.Register(mux, l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestPayments(t *testing.T) {
	ctx := context.Background()
	db, err := pkgsqlite.Open(ctx, filepath.Join(t.TempDir(), "billing.db"), pkgsqlite.Options{}, bsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	rows := []billing.Payment{
		{ID: "p1", OrderID: "o", Kind: "charge", AmountCents: 1250, Currency: "GBP", Status: "failed", Reason: "gateway_unavailable", Token: "tok_visa", CreatedAt: t0},
		{ID: "p2", OrderID: "o", Kind: "charge", AmountCents: 1250, Currency: "GBP", Status: "succeeded", Token: "tok_visa", CreatedAt: t0.Add(time.Second)},
		{ID: "p3", OrderID: "x", Kind: "refund", AmountCents: 0, Currency: "EUR", Status: "succeeded", CreatedAt: t0.Add(2 * time.Second)},
	}
	err = pkgsqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
		for _, p := range rows {
			if err := bsqlite.NewLedger(tx).Add(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := server(t, bsqlite.Payments{DB: db})
	tests := []struct {
		query string
		want  string
	}{
		{"?order_id=o", `[
  {"id": "p1", "order_id": "o", "kind": "charge", "amount_cents": 1250, "currency": "GBP", "status": "failed", "created_at": "2025-03-01T09:00:00Z"},
  {"id": "p2", "order_id": "o", "kind": "charge", "amount_cents": 1250, "currency": "GBP", "status": "succeeded", "created_at": "2025-03-01T09:00:01Z"}]`},
		{"?order_id=none", `[]`},
		{"", `[
  {"id": "p1", "order_id": "o", "kind": "charge", "amount_cents": 1250, "currency": "GBP", "status": "failed", "created_at": "2025-03-01T09:00:00Z"},
  {"id": "p2", "order_id": "o", "kind": "charge", "amount_cents": 1250, "currency": "GBP", "status": "succeeded", "created_at": "2025-03-01T09:00:01Z"},
  {"id": "p3", "order_id": "x", "kind": "refund", "amount_cents": 0, "currency": "EUR", "status": "succeeded", "created_at": "2025-03-01T09:00:02Z"}]`},
	}
	for _, tt := range tests {
		status, ctype, body := servicetest.Get(t, srv.URL+"/payments"+tt.query)
		if status != http.StatusOK || ctype != "application/json" {
			t.Fatalf("GET /payments%s: %d %s", tt.query, status, ctype)
		}
		var got, want any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("GET /payments%s: %v in %s", tt.query, err, body)
		}
		if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /payments%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

type failing struct{}

func (failing) List(context.Context, string, int) ([]billing.Payment, error) {
	return nil, errors.New("disk gone")
}

func TestPaymentsError(t *testing.T) {
	status, ctype, _ := servicetest.Get(t, server(t, failing{}).URL+"/payments")
	if status != http.StatusInternalServerError || ctype != "application/problem+json" {
		t.Errorf("got %d %s, want 500 application/problem+json", status, ctype)
	}
}
