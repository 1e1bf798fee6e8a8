package outbox_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// nopPublisher confirms everything at once: the benchmark measures the
// relay's own work (read, convert, delete), not the broker's.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []rabbit.Publishing) error { return nil }

// BenchmarkRelayOnce relays one full batch of rows to a publisher that
// confirms at once, on a real SQLite file at the durable defaults: the
// select, the conversion to publishings and the delete with its commit.
func BenchmarkRelayOnce(b *testing.B) {
	for _, n := range []int{16, 256} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{}, outbox.Migrations)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			r := outbox.NewRelay(db, nopPublisher{}, nil, outbox.RelayOptions{Batch: n})
			outs := benchOutgoing(b, n)
			msgs := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				fill(b, db, outs)
				b.StartTimer()
				got, err := r.RelayOnce(context.Background())
				if err != nil || got != n {
					b.Fatalf("RelayOnce = %d, %v; want %d", got, err, n)
				}
				msgs += got
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(msgs), "ns/msg")
		})
	}
}

// BenchmarkAdd stores one saga step's two messages (a command and a status
// event) in the outbox, many steps to a transaction as the inbox does.
func BenchmarkAdd(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{}, outbox.Migrations)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	outs := benchOutgoing(b, 2)
	const steps = 32
	b.ReportAllocs()
	for b.Loop() {
		err := sqlite.InTx(context.Background(), db, func(tx *sqlx.Tx) error {
			for range steps {
				if err := outbox.Add(context.Background(), tx, outs...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps*len(outs)), "ns/msg")
}

func benchOutgoing(b *testing.B, n int) []msg.Outgoing {
	outs := make([]msg.Outgoing, n)
	for i := range outs {
		env, err := msg.New(&msg.ChargePayment{OrderID: "ord-1", AmountCents: 9500, Currency: "EUR", PaymentToken: "tok_visa"},
			"ord-1", "cause-1", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		outs[i] = env.To(msg.Billing)
	}
	return outs
}

func fill(b *testing.B, db *sqlx.DB, outs []msg.Outgoing) {
	err := sqlite.InTx(context.Background(), db, func(tx *sqlx.Tx) error {
		return outbox.Add(context.Background(), tx, outs...)
	})
	if err != nil {
		b.Fatal(err)
	}
}
