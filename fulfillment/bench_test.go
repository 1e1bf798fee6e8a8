package fulfillment_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"bookshop/fulfillment"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/catalog"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"
)

// BenchmarkScheduleDelivery runs batches of fresh ScheduleDelivery commands
// (two titles each) through fulfillment as the service does: the inbox
// Processor (Resend, Optimistic) on a real SQLite file at the durable
// defaults. Per command: the cancellation and shipment look-ups, the stock
// check, a tracking id, two reservations, the shipment and its lines, the
// reply; one commit per batch. cpu-ns/msg is the process's CPU time per
// command, steadier than ns/msg on a busy machine.
func BenchmarkScheduleDelivery(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "fulfillment.db"), sqlite.Options{},
				outbox.Migrations, inbox.Migrations, fsqlite.Migrations)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			books := []catalog.Book{
				{ISBN: isbnA, Title: "A", Author: "a", PriceCents: 100, Currency: "EUR", Stock: 1 << 40},
				{ISBN: isbnB, Title: "B", Author: "b", PriceCents: 100, Currency: "EUR", Stock: 1 << 40},
			}
			if _, err := fsqlite.SeedStock(ctx, db, books); err != nil {
				b.Fatal(err)
			}
			f := fulfillment.New(fulfillment.Deps{Store: fsqlite.ForTx, BusinessDays: 3,
				Log: slog.New(slog.DiscardHandler)})
			p := &inbox.Processor{DB: db, Handle: f.Handle, Duplicates: inbox.Resend,
				Isolation: inbox.Optimistic, Log: slog.New(slog.DiscardHandler)}
			bench.Batches(b, p, n, func(k int) []byte {
				o := fmt.Sprintf("order-%d", k)
				return bench.Body(b, &msg.ScheduleDelivery{OrderID: o,
					Items: []msg.DeliveryItem{{ISBN: isbnA, Quantity: 1}, {ISBN: isbnB, Quantity: 2}},
					ShippingAddress: msg.Address{Line1: "12 St James's Square", City: "London",
						PostalCode: "SW1Y 4JH", Country: "GB"}}, o)
			})
		})
	}
}
