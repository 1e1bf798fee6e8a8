package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bookshop/billing"
	bsqlite "bookshop/billing/sqlite"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

func open(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := pkgsqlite.Open(context.Background(), filepath.Join(t.TempDir(), "billing.db"), pkgsqlite.Options{}, bsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func pay(n int, order string, k billing.Kind, s billing.Status, amount int64) billing.Payment {
	return billing.Payment{ID: fmt.Sprintf("p%02d", n), OrderID: order, Kind: k, AmountCents: amount,
		Currency: "GBP", Status: s, CreatedAt: t0.Add(time.Duration(n) * time.Second)}
}

// TestLedgerGuards: the schema itself refuses a second charge, a refund
// above the charge and a charge after a refund, whatever the code does.
func TestLedgerGuards(t *testing.T) {
	const (
		c, r          = billing.KindCharge, billing.KindRefund
		ok, no, broke = billing.StatusSucceeded, billing.StatusDeclined, billing.StatusFailed
	)
	tests := []struct {
		name    string
		rows    []billing.Payment
		wantErr string // of the last row; the others must go in
	}{
		{"failed and declined attempts, then a charge", []billing.Payment{
			pay(1, "o", c, broke, 100), pay(2, "o", c, no, 100), pay(3, "o", c, ok, 100)}, ""},
		{"a second succeeded charge", []billing.Payment{pay(1, "o", c, ok, 100), pay(2, "o", c, ok, 100)}, "UNIQUE constraint failed"},
		{"charges of two orders", []billing.Payment{pay(1, "o", c, ok, 100), pay(2, "p", c, ok, 100)}, ""},
		{"a refund of the whole charge", []billing.Payment{pay(1, "o", c, ok, 100), pay(2, "o", r, ok, 100)}, ""},
		{"a refund above the charge", []billing.Payment{pay(1, "o", c, ok, 100), pay(2, "o", r, ok, 101)}, "refund above what was charged"},
		{"a refund of nothing charged", []billing.Payment{pay(1, "o", r, ok, 1)}, "refund above what was charged"},
		{"a no-op refund", []billing.Payment{pay(1, "o", r, ok, 0)}, ""},
		{"a second succeeded refund", []billing.Payment{pay(1, "o", c, ok, 100), pay(2, "o", r, ok, 10), pay(3, "o", r, ok, 10)}, "UNIQUE constraint failed"},
		{"a charge after the refund", []billing.Payment{pay(1, "o", r, ok, 0), pay(2, "o", c, ok, 100)}, "charge after the order was refunded"},
		{"a declined charge after the refund", []billing.Payment{pay(1, "o", r, ok, 0), pay(2, "o", c, no, 100)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := open(t)
			var err error
			for i, p := range tt.rows {
				err = pkgsqlite.InTx(context.Background(), db, func(tx *sqlx.Tx) error {
					return bsqlite.NewLedger(tx).Add(context.Background(), p)
				})
				if err != nil && i < len(tt.rows)-1 {
					t.Fatalf("row %d: %v", i, err)
				}
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("last row: got %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestListAndRoundTrip(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	first := pay(2, "o", billing.KindCharge, billing.StatusSucceeded, 100)
	first.Token, first.GatewayRef, first.CommandID, first.Reason = "tok_visa", "txn_1", "cmd-1", ""
	rows := []billing.Payment{first, pay(1, "p", billing.KindCharge, billing.StatusDeclined, 5),
		pay(3, "o", billing.KindRefund, billing.StatusSucceeded, 40)}
	err := pkgsqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
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
	ids := func(ps []billing.Payment) (out []string) {
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	got, err := bsqlite.Payments{DB: db}.List(ctx, "o", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]billing.Payment{first, rows[2]}, got); diff != "" {
		t.Errorf("order o (-want +got):\n%s", diff)
	}
	all, err := bsqlite.Payments{DB: db}.List(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"p02", "p03"}, ids(all)); diff != "" {
		t.Errorf("latest 2, oldest first (-want +got):\n%s", diff)
	}
}
