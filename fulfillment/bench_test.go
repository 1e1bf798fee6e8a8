package fulfillment_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jmoiron/sqlx"

	"bookshop/fulfillment"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/catalog"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
)

// BenchmarkScheduleDelivery runs batches of fresh ScheduleDelivery commands
// (two titles each) through fulfillment as the service does (bench.Worker).
// Per command: the cancellation and shipment look-ups, the stock check, a
// tracking id, two reservations, the shipment and its lines, the reply; one
// commit per batch. cpu-ns/msg is the process's CPU time per command,
// steadier than ns/msg on a busy machine.
func BenchmarkScheduleDelivery(b *testing.B) {
	bench.Worker(b, fsqlite.Migrations, func(b *testing.B, db *sqlx.DB) inbox.Handler {
		books := []catalog.Book{
			{ISBN: isbnA, Title: "A", Author: "a", PriceCents: 100, Currency: "EUR", Stock: 1 << 40},
			{ISBN: isbnB, Title: "B", Author: "b", PriceCents: 100, Currency: "EUR", Stock: 1 << 40},
		}
		if _, err := fsqlite.SeedStock(context.Background(), db, books); err != nil {
			b.Fatal(err)
		}
		return fulfillment.New(fulfillment.Deps{Store: fsqlite.ForTx, BusinessDays: 3,
			Log: slog.New(slog.DiscardHandler)}).Handle
	}, func(b *testing.B, k int) []byte {
		o := fmt.Sprintf("order-%d", k)
		return bench.Body(b, &msg.ScheduleDelivery{OrderID: o,
			Items: []msg.DeliveryItem{{ISBN: isbnA, Quantity: 1}, {ISBN: isbnB, Quantity: 2}},
			ShippingAddress: msg.Address{Line1: "12 St James's Square", City: "London",
				PostalCode: "SW1Y 4JH", Country: "GB"}}, o)
	})
}
