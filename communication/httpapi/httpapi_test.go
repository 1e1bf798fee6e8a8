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
	"testing"
	"time"

	"bookshop/communication"
	"bookshop/communication/httpapi"
	commsqlite "bookshop/communication/sqlite"
	"bookshop/pkg/service/servicetest"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

var update = flag.Bool("update", false, "rewrite golden files")

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{}, commsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := &commsqlite.Emails{DB: db}
	at := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	emails := []communication.Email{
		{ID: "eml-1", OrderID: "ord-1", To: "ada@example.com", Template: "order_confirmed",
			Subject: "Your bookshop order ord-1 is confirmed", Text: "Hello Ada,\n", HTML: "<p>Hello Ada,</p>\n",
			SentAt: at, CommandID: "cmd-1", Sender: "mailbox"},
		{ID: "eml-2", OrderID: "ord-2", To: "bob@example.com", Template: "payment_declined",
			Subject: "Your payment for bookshop order ord-2 was declined", Text: "Hello Bob,\n", HTML: "<p>Hello Bob,</p>\n",
			SentAt: at.Add(time.Minute), CommandID: "cmd-2", Sender: "mailbox"},
	}
	err = sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
		for _, e := range emails {
			if err := store.AddEmail(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	httpapi.Routes(mux, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAPI(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name, path  string
		status      int
		contentType string
	}{
		{"list_all", "/emails", 200, "application/json"},
		{"list_by_order", "/emails?order_id=ord-1", 200, "application/json"},
		{"list_by_recipient", "/emails?to=BOB@example.com", 200, "application/json"},
		{"list_both_no_match", "/emails?order_id=ord-1&to=bob@example.com", 200, "application/json"},
		{"get", "/emails/eml-1", 200, "application/json"},
		{"get_unknown", "/emails/eml-404", 404, "application/problem+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := servicetest.Get(t, srv.URL+tt.path)
			if status != tt.status || ctype != tt.contentType {
				t.Errorf("GET %s: %d %s, want %d %s", tt.path, status, ctype, tt.status, tt.contentType)
			}
			golden(t, tt.name+".json", string(body))
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (go test -update creates it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from its golden file (-want +got):\n%s", name, diff)
	}
}
