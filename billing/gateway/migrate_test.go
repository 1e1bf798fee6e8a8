package gateway_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"bookshop/billing"
	"bookshop/billing/gateway"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
)

// TestMigrationKeepsTheRecord: a gateway file made by the first migration,
// with answers in it, is upgraded in place; every answer stays, a repeated
// key still gets its first answer, and a refund still finds its charge.
func TestMigrationKeepsTheRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gateway.db")
	first, err := fs.ReadFile(gateway.Migrations, "gateway_0001_operations.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := pkgsqlite.Open(ctx, path, pkgsqlite.Options{},
		fstest.MapFS{"gateway_0001_operations.sql": {Data: first}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = old.ExecContext(ctx, `INSERT INTO gateway_operations (idempotency_key, transaction_id, kind, order_id,
		token, charge_ref, amount_cents, currency, approved, decline_reason, calls, created_at, last_call_at) VALUES
		('charge:o', 'txn_a', 'charge', 'o', 'tok_visa', '', 100, 'GBP', 1, '', 1, '2025-03-01T09:00:00.000000000Z', '2025-03-01T09:00:00.000000000Z'),
		('charge:d', 'txn_b', 'charge', 'd', 'tok_card_declined', '', 100, 'GBP', 0, 'card_declined', 2, '2025-03-01T09:00:01.000000000Z', '2025-03-01T09:00:02.000000000Z'),
		('refund:o', 'txn_c', 'refund', 'o', '', 'txn_a', 40, 'GBP', 1, '', 1, '2025-03-01T09:00:03.000000000Z', '2025-03-01T09:00:03.000000000Z')`)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	g, err := gateway.Open(ctx, path, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var got []gateway.Operation
	for _, order := range []string{"o", "d"} {
		ops, err := g.Operations(ctx, order)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ops...)
	}
	want := []string{"charge:o txn_a true 100 1", "refund:o txn_c true 40 1", "charge:d txn_b false 100 2"}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("record after the upgrade (-want +got):\n%s", diff)
	}
	again, err := g.Charge(ctx, chargeOf("o", "tok_card_declined", 999))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(billing.GatewayResult{TransactionID: "txn_a", Approved: true, AmountCents: 100, Currency: "GBP"}, again); diff != "" {
		t.Errorf("repeated charge after the upgrade (-want +got):\n%s", diff)
	}
	// txn_a has 60 left: a second refund key may take it, not more.
	more := billing.RefundRequest{IdempotencyKey: "refund:o:2", OrderID: "o", ChargeRef: "txn_a", AmountCents: 61, Currency: "GBP"}
	if res, err := g.Refund(ctx, more); err != nil || res.Approved || res.DeclineReason != gateway.ReasonAboveCharge {
		t.Errorf("refund of 61 of the 60 left: %+v, %v; want declined %s", res, err, gateway.ReasonAboveCharge)
	}
	more.IdempotencyKey, more.AmountCents = "refund:o:3", 60
	if res, err := g.Refund(ctx, more); err != nil || !res.Approved {
		t.Errorf("refund of the 60 left: %+v, %v; want approved", res, err)
	}
}

func summary(ops []gateway.Operation) []string {
	var out []string
	for _, o := range ops {
		out = append(out, fmt.Sprintf("%s %s %v %d %d", o.Key, o.TransactionID, o.Approved, o.AmountCents, o.Calls))
	}
	return out
}
