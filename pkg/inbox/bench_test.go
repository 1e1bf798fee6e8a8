package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

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
			// As in a service: the consumer's context can be cancelled.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			bodies := make([][]byte, n)
			msgs, cpu := 0, time.Duration(0)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := range bodies {
					bodies[i] = benchBody(b, fmt.Sprintf("o-%d", msgs+i))
				}
				b.StartTimer()
				c0 := cpuTime()
				for i, err := range p.HandleBatch(ctx, bodies) {
					if err != nil {
						b.Fatalf("message %d: %v", i, err)
					}
				}
				cpu += cpuTime() - c0
				msgs += n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs), "ns/msg")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(msgs), "cpu-ns/msg")
		})
	}
}

func benchBody(b *testing.B, orderID string) []byte {
	env, err := msg.New(&msg.CancelDelivery{OrderID: orderID}, orderID, "", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// cpuTime is the CPU time (user and system) this process has used so far:
// beside ns/op, whose wall time swells when the machine is busy with other
// work, it measures what an operation costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
