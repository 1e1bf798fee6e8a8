package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"bookshop/pkg/bench"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"
)

// BenchmarkHandleBatch runs batches of n fresh commands through the
// Processor on a real SQLite file at the durable defaults (WAL,
// synchronous=FULL): per message a savepoint, the inbox look-up and row, the
// handler's own insert and one reply into the outbox; one commit per batch.
// cpu-ns/msg is the process's CPU time per message, steadier than ns/msg
// on a busy machine.
// ns/msg is the cost of one message at that batch size.
func BenchmarkHandleBatch(b *testing.B) {
	for _, n := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{},
				outbox.Migrations, inbox.Migrations, appSchema)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			p := &inbox.Processor{DB: db, Handle: handler, Duplicates: inbox.Resend, Log: slog.New(slog.DiscardHandler)}
			bench.Batches(b, p, n, func(k int) []byte {
				o := fmt.Sprintf("o-%d", k)
				return bench.Body(b, &msg.CancelDelivery{OrderID: o}, o)
			})
		})
	}
}
