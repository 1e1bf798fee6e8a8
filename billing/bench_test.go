package billing_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"bookshop/billing"
	"bookshop/billing/gateway"
	bsqlite "bookshop/billing/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
)

// BenchmarkCharge runs batches of fresh ChargePayment commands through
// billing as the service does (bench.Worker), with the simulated gateway on
// its own file at the service's default (NORMAL). Per command: the ledger
// look-up, one gateway call (its own transaction), the payment row, the
// reply; one commit per batch. cpu-ns/msg is the process's CPU time per
// command, steadier than ns/msg on a busy machine.
func BenchmarkCharge(b *testing.B) {
	bench.Worker(b, bsqlite.Migrations, func(b *testing.B, _ *sqlx.DB) inbox.Handler {
		gw, err := gateway.Open(context.Background(), filepath.Join(b.TempDir(), "gateway.db"), gateway.Options{Synchronous: "NORMAL"})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { gw.Close() })
		return billing.New(billing.Deps{Ledger: bsqlite.NewLedger, Gateway: gw}).Handle
	}, func(b *testing.B, k int) []byte {
		o := fmt.Sprintf("order-%d", k)
		return bench.Body(b, &msg.ChargePayment{OrderID: o, AmountCents: 1250, Currency: "GBP",
			PaymentToken: "tok_visa"}, o)
	})
}
