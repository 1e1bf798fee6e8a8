package orchestrator_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"bookshop/orchestrator"
	osqlite "bookshop/orchestrator/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/retry"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// BenchmarkFire decides one saga step in memory: charging_payment, charged,
// to scheduling_delivery with its command and status event. No IO.
func BenchmarkFire(b *testing.B) {
	e := benchEngine(b)
	base := sagaIn(orchestrator.ChargingPayment, orchestrator.ChargingPayment)
	ctx := context.Background()
	charged := func(d *orchestrator.Data) { d.PaymentID, d.ChargedCents = "pay-1", 9500 }
	b.ReportAllocs()
	for b.Loop() {
		s := *base
		if _, err := e.Fire(ctx, &s, orchestrator.EvCharged, "reply-1", charged, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleStep handles one reply (PaymentCharged) and persists the
// step through the SQLite Store, as the service does: load the saga, fire,
// save it with its history, and put the command and status event in the
// outbox, on a real file at synchronous=FULL. steps is how many steps share
// a transaction (the consumer's batch); ctx=cancellable is the consumer's
// context, with which go-sqlite3 runs every statement on a goroutine of its
// own, ctx=plain one that cannot be cancelled. cpu-ns/step is the process's
// CPU time per step, steadier than ns/step on a busy machine.
func BenchmarkHandleStep(b *testing.B) {
	for _, steps := range []int{1, 32} {
		for _, cancellable := range []bool{true, false} {
			name := fmt.Sprintf("steps=%d/ctx=plain", steps)
			if cancellable {
				name = fmt.Sprintf("steps=%d/ctx=cancellable", steps)
			}
			b.Run(name, func(b *testing.B) { benchSteps(b, steps, cancellable) })
		}
	}
}

func benchSteps(b *testing.B, steps int, cancellable bool) {
	ctx := context.Background()
	if cancellable {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		ctx = c
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "o.db"), sqlite.Options{},
		outbox.Migrations, inbox.Migrations, osqlite.Migrations)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	o := &orchestrator.Orchestrator{Engine: benchEngine(b), Store: osqlite.Store{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
	orders, done := 0, 0
	var cpu time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		replies := make([]msg.Envelope, steps)
		err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
			for i := range replies {
				orders++
				id := fmt.Sprintf("ord-%08d", orders)
				if _, err := o.Handle(ctx, tx, benchEnv(b, startOf(id), id), startOf(id)); err != nil {
					return err
				}
				charged := &msg.PaymentCharged{OrderID: id, PaymentID: "pay-" + id, AmountCents: 9500, Currency: "EUR"}
				replies[i] = benchEnv(b, charged, id)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := bench.CPUTime()
		err = sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
			for _, env := range replies {
				_, m, err := msg.Decode(mustMarshal(b, env))
				if err != nil {
					return err
				}
				outs, err := o.Handle(ctx, tx, env, m)
				if err != nil {
					return err
				}
				if err := outbox.Add(ctx, tx, outs...); err != nil {
					return err
				}
			}
			return nil
		})
		cpu += bench.CPUTime() - c0
		if err != nil {
			b.Fatal(err)
		}
		done += steps
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(done), "ns/step")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(done), "cpu-ns/step")
}

func benchEngine(b *testing.B) *orchestrator.Engine {
	m, err := orchestrator.Purchase.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return &orchestrator.Engine{
		Machine: m, StepTimeout: 10 * time.Second,
		Backoff: retry.Policy{Initial: time.Second, Coefficient: 2, Max: 30 * time.Second, MaxAttempts: 5},
		NewID:   msg.NewID, Rand: func() float64 { return 0.5 },
	}
}

func startOf(id string) *msg.StartPurchase {
	return &msg.StartPurchase{OrderID: id, Customer: msg.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items:      []msg.Item{{ISBN: "9780262033848", Title: "Introduction to Algorithms", Quantity: 1, PriceCents: 9500}},
		TotalCents: 9500, Currency: "EUR", PaymentToken: "tok_visa",
		ShippingAddress: msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"},
		PlacedAt:        t0}
}

func benchEnv(b *testing.B, m msg.Message, orderID string) msg.Envelope {
	env, err := msg.New(m, orderID, "", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return env
}

func mustMarshal(b *testing.B, env msg.Envelope) []byte {
	body, err := env.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return body
}
