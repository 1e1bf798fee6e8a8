package frontend_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"bookshop/frontend"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/bench"
	"bookshop/pkg/msg"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// The benchmarks run on a real SQLite file at synchronous=NORMAL: a commit
// then costs CPU, not a wait for the disk, so ns/op and cpu-ns/op show the
// frontend's own work (the shop runs at FULL; its disk syncs are the same
// before and after any change measured here). cpu-ns/op is the process's
// user+system CPU per operation, steadier than ns/op on a shared machine.

// cpuTimer reports cpu-ns/op when stopped.
type cpuTimer struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuTimer {
	b.ReportAllocs()
	b.ResetTimer()
	return cpuTimer{b: b, start: bench.CPUTime()}
}

func (c cpuTimer) stop() {
	c.b.StopTimer()
	c.b.ReportMetric(float64(bench.CPUTime()-c.start)/float64(c.b.N), "cpu-ns/op")
}

func newBenchShop(b *testing.B) (*frontend.Shop, *sqlx.DB) {
	return newShopOn(b, sqlite.Options{Synchronous: "NORMAL"}, nil)
}

// BenchmarkStatusEvent is the frontend's share of one OrderStatusChanged
// (after the inbox decoded it): the view of an order placed here brought up
// to the event. Orders go through charging_payment, scheduling_delivery,
// sending_confirmation (with the delivery) and completed, in order, as
// they mostly arrive; 32 events share a transaction, as in a consumer's
// batch.
func BenchmarkStatusEvent(b *testing.B) {
	shop, db := newBenchShop(b)
	ctx := context.Background()
	orders := b.N/4 + 1
	err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
		for i := range orders {
			o := frontend.Order{ID: fmt.Sprintf("ord-%d", i), TotalCents: 9500, Currency: "EUR",
				CreatedAt: t0, UpdatedAt: t0, Items: []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 9500}},
				Customer: msg.Customer{Name: "Ada", Email: "ada@example.com"}, PaymentToken: "tok_visa"}
			if err := (fsqlite.Orders{}).Place(ctx, tx, o, "", ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	states := []string{"charging_payment", "scheduling_delivery", "sending_confirmation", "completed"}
	events := []string{"started", "payment_charged", "delivery_scheduled", "confirmation_sent"}
	ids := make([]string, orders)
	for i := range ids {
		ids[i] = fmt.Sprintf("ord-%d", i)
	}
	env := msg.Envelope{ID: "msg-1", Type: msg.OrderStatusChanged{}.MessageType()}
	cpu := startCPU(b)
	for i := 0; i < b.N; i += 32 {
		err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
			for j := i; j < min(i+32, b.N); j++ {
				v := j % 4
				e := msg.OrderStatusChanged{OrderID: ids[j/4], State: states[v], Event: events[v],
					Version: int64(v + 1), TotalCents: 9500, Currency: "EUR",
					OccurredAt: t0.Add(time.Duration(j) * time.Millisecond)}
				if v >= 2 {
					e.ExpectedDate, e.TrackingID = "2026-11-30", "BK123456789"
				}
				if _, err := shop.Handle(ctx, tx, env, &e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop()
}

// BenchmarkShopCheckout is one checkout below the HTTP layer: validation,
// pricing, the order, its view row and its StartPurchase in the outbox,
// committed; without and with an Idempotency-Key. 64 checkouts run at once,
// as HTTP requests do under load, so they share commits (group commit).
func BenchmarkShopCheckout(b *testing.B) {
	for _, keyed := range []bool{false, true} {
		b.Run(fmt.Sprintf("key=%v", keyed), func(b *testing.B) {
			shop, _ := newBenchShop(b)
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism(32)
			cpu := startCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := frontend.Checkout{Request: validRequest()}
					if keyed {
						c.IdempotencyKey, c.RequestHash = fmt.Sprintf("key-%d", n.Add(1)), "0123456789abcdef"
					}
					if _, _, err := shop.Checkout(ctx, c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			cpu.stop()
		})
	}
}
