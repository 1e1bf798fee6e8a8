package communication_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"bookshop/communication"
	commsqlite "bookshop/communication/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"
)

// BenchmarkSendEmail runs batches of fresh SendEmail commands (the order
// confirmation of two books) through communication as the service does with
// its default sender, the mailbox: the inbox Processor (Resend, Optimistic)
// on a real SQLite file at the durable defaults. Per command: the look-up
// of the order's email, rendering, the email row, the reply; one commit per
// batch. cpu-ns/msg is the process's CPU time per command, steadier than
// ns/msg on a busy machine.
func BenchmarkSendEmail(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "communication.db"), sqlite.Options{},
				outbox.Migrations, inbox.Migrations, commsqlite.Migrations)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ml, err := communication.NewMailer(communication.Deps{Store: &commsqlite.Emails{DB: db},
				Sender: communication.Mailbox{}, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			p := &inbox.Processor{DB: db, Handle: ml.Handle, Duplicates: inbox.Resend,
				Isolation: inbox.Optimistic, Log: slog.New(slog.DiscardHandler)}
			bench.Batches(b, p, n, func(k int) []byte {
				return confirmation(b, fmt.Sprintf("order-%d", k))
			})
		})
	}
}

func confirmation(b *testing.B, orderID string) []byte {
	m := &msg.SendEmail{OrderID: orderID, Template: msg.TemplateOrderConfirmed,
		To: "Ada Lovelace <ada@example.com>", CustomerName: "Ada Lovelace",
		Items: []msg.Item{
			{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Cormen et al.", Quantity: 1, PriceCents: 8999},
			{ISBN: "9780321200686", Title: "Enterprise Integration Patterns", Author: "Hohpe, Woolf", Quantity: 2, PriceCents: 5499},
		},
		TotalCents: 19997, Currency: "GBP", ExpectedDate: "2025-12-03", TrackingID: "BK0000000001"}
	return bench.Body(b, m, orderID)
}
