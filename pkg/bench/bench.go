// Package bench is what the modules' Go benchmarks share: the process's CPU
// time (steadier than wall time on a busy machine), message bodies, and an
// inbox.Processor driven as a service's consumer drives it.
package bench

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"
)

// Batches hands p batches of n fresh messages, the k-th of the benchmark
// built by next(k) with the timer stopped, under a context that can be
// cancelled (as a consumer's is), and reports ns/msg and cpu-ns/msg: the
// process's CPU time per message, steadier than wall time on a busy machine.
func Batches(b *testing.B, p *inbox.Processor, n int, next func(k int) []byte) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bodies := make([][]byte, n)
	msgs, cpu := 0, time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for i := range bodies {
			bodies[i] = next(msgs + i)
		}
		b.StartTimer()
		c0 := CPUTime()
		for i, err := range p.HandleBatch(ctx, bodies) {
			if err != nil {
				b.Fatalf("message %d: %v", i, err)
			}
		}
		cpu += CPUTime() - c0
		msgs += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs), "ns/msg")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(msgs), "cpu-ns/msg")
}

// Worker runs a worker's command the way its service does, in batches of 1
// and of 16: on a fresh SQLite file at the durable defaults with the outbox,
// the inbox and the worker's migrations, through an inbox.Processor set as a
// worker's consumer sets it (Resend, Optimistic). handler builds the
// worker's handler on that file; next is the k-th command's body (Batches).
// Both are given the benchmark of the batch size.
func Worker(b *testing.B, migrations fs.FS, handler func(b *testing.B, db *sqlx.DB) inbox.Handler,
	next func(b *testing.B, k int) []byte) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "worker.db"), sqlite.Options{},
				outbox.Migrations, inbox.Migrations, migrations)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			p := &inbox.Processor{DB: db, Handle: handler(b, db), Duplicates: inbox.Resend,
				Isolation: inbox.Optimistic, Log: slog.New(slog.DiscardHandler)}
			Batches(b, p, n, func(k int) []byte { return next(b, k) })
		})
	}
}

// Body is m in a fresh envelope for orderID, encoded as a delivery's body.
func Body(tb testing.TB, m msg.Message, orderID string) []byte {
	env, err := msg.New(m, orderID, "saga-"+orderID, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// CPUTime is the CPU time (user and system) this process has used so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
