package billing_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"bookshop/billing"
	"bookshop/billing/gateway"
	bsqlite "bookshop/billing/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"
)

// BenchmarkCharge runs batches of fresh ChargePayment commands through
// billing as the service does: the inbox Processor (Resend, Optimistic) on
// billing's SQLite file at the durable defaults, and the simulated gateway
// on its own file at the service's default (NORMAL). Per command: the
// ledger look-up, one gateway call (its own transaction), the payment row,
// the reply; one commit per batch. cpu-ns/msg is the process's CPU time per
// command, steadier than ns/msg on a busy machine.
func BenchmarkCharge(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			db, err := sqlite.Open(ctx, filepath.Join(dir, "billing.db"), sqlite.Options{},
				outbox.Migrations, inbox.Migrations, bsqlite.Migrations)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			gw, err := gateway.Open(ctx, filepath.Join(dir, "gateway.db"), gateway.Options{Synchronous: "NORMAL"})
			if err != nil {
				b.Fatal(err)
			}
			defer gw.Close()
			svc := billing.New(billing.Deps{Ledger: bsqlite.NewLedger, Gateway: gw})
			p := &inbox.Processor{DB: db, Handle: svc.Handle, Duplicates: inbox.Resend,
				Isolation: inbox.Optimistic, Log: slog.New(slog.DiscardHandler)}
			bench.Batches(b, p, n, func(k int) []byte {
				o := fmt.Sprintf("order-%d", k)
				return bench.Body(b, &msg.ChargePayment{OrderID: o, AmountCents: 1250, Currency: "GBP",
					PaymentToken: "tok_visa"}, o)
			})
		})
	}
}
