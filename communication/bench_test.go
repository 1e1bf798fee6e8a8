package communication_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/jmoiron/sqlx"

	"bookshop/communication"
	commsqlite "bookshop/communication/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
)

// BenchmarkSendEmail runs batches of fresh SendEmail commands (the order
// confirmation of two books) through communication as the service does
// (bench.Worker) with its default sender, the mailbox. Per command: the
// look-up of the order's email, rendering, the email row, the reply; one
// commit per batch. cpu-ns/msg is the process's CPU time per command,
// steadier than ns/msg on a busy machine.
func BenchmarkSendEmail(b *testing.B) {
	bench.Worker(b, commsqlite.Migrations, func(b *testing.B, db *sqlx.DB) inbox.Handler {
		ml, err := communication.NewMailer(communication.Deps{Store: &commsqlite.Emails{DB: db},
			Sender: communication.Mailbox{}, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		return ml.Handle
	}, func(b *testing.B, k int) []byte { return confirmation(b, fmt.Sprintf("order-%d", k)) })
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
