package billing_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"bookshop/billing"
	"bookshop/billing/gateway"
	bsqlite "bookshop/billing/sqlite"
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
			// As in a service: the consumer's context can be cancelled.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			bodies := make([][]byte, n)
			msgs, cpu := 0, time.Duration(0)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := range bodies {
					o := fmt.Sprintf("order-%d", msgs+i)
					bodies[i] = body(b, &msg.ChargePayment{OrderID: o, AmountCents: 1250, Currency: "GBP",
						PaymentToken: "tok_visa"}, o)
				}
				b.StartTimer()
				c0 := cpuTime()
				for i, err := range p.HandleBatch(ctx, bodies) {
					if err != nil {
						b.Fatalf("command %d: %v", i, err)
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

func body(b *testing.B, m msg.Message, orderID string) []byte {
	env, err := msg.New(m, orderID, "saga-"+orderID, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
