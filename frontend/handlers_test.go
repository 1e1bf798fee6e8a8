package frontend_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"bookshop/frontend"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// newShop returns a Shop on a fresh SQLite file.
func newShop(t *testing.T) (*frontend.Shop, *sqlx.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "frontend.db"), sqlite.Options{}, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := catalog.New([]catalog.Book{{ISBN: "9780262033848", Title: "CLRS", Author: "Cormen",
		PriceCents: 9500, Currency: "EUR", Stock: 1}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := func() time.Time { return t0.Add(time.Hour) }
	return frontend.NewShop(frontend.Deps{Catalog: cat, DB: db, Orders: fsqlite.Orders{}, Log: log, Now: now}), db
}

// handle delivers e to the shop in its own transaction, as the inbox does.
func handle(t *testing.T, shop *frontend.Shop, db *sqlx.DB, m msg.Message) error {
	t.Helper()
	env, err := msg.New(m, "ord-1", "", t0)
	if err != nil {
		t.Fatal(err)
	}
	return sqlite.InTx(context.Background(), db, func(tx *sqlx.Tx) error {
		outs, err := shop.Handle(context.Background(), tx, env, m)
		if len(outs) != 0 {
			t.Errorf("Handle returned %d messages, want none", len(outs))
		}
		return err
	})
}

// event v of ord-1's saga, v minutes after t0.
func event(v int64, state, prev, ev string) msg.OrderStatusChanged {
	return msg.OrderStatusChanged{OrderID: "ord-1", State: state, PreviousState: prev, Event: ev,
		Version: v, TotalCents: 9500, Currency: "EUR", OccurredAt: t0.Add(time.Duration(v) * time.Minute)}
}

func withDelivery(e msg.OrderStatusChanged) msg.OrderStatusChanged {
	e.ExpectedDate, e.TrackingID = "2026-11-30", "BK123"
	return e
}

func withReason(e msg.OrderStatusChanged, reason string) msg.OrderStatusChanged {
	e.FailureReason = reason
	return e
}

var (
	happy = []msg.OrderStatusChanged{
		event(1, "charging_payment", "", "started"),
		event(2, "scheduling_delivery", "charging_payment", "payment_charged"),
		withDelivery(event(3, "sending_confirmation", "scheduling_delivery", "delivery_scheduled")),
		withDelivery(event(4, "completed", "sending_confirmation", "confirmation_sent")),
	}
	declined = []msg.OrderStatusChanged{
		event(1, "charging_payment", "", "started"),
		withReason(event(2, "sending_decline_notice", "charging_payment", "payment_declined"), "card_declined"),
		withReason(event(3, "declined", "sending_decline_notice", "decline_notice_sent"), "card_declined"),
	}
	// sparse: the last event does not repeat the delivery facts.
	sparse = []msg.OrderStatusChanged{
		event(1, "charging_payment", "", "started"),
		withDelivery(event(2, "sending_confirmation", "scheduling_delivery", "delivery_scheduled")),
		event(3, "completed", "sending_confirmation", "confirmation_sent"),
	}
)

func want(e msg.OrderStatusChanged, status, expected, tracking string) frontend.Order {
	return frontend.Order{ID: "ord-1", State: e.State, Status: status, Version: e.Version, Event: e.Event,
		FailureReason: e.FailureReason, ExpectedDate: expected, TrackingID: tracking,
		TotalCents: 9500, Currency: "EUR", CreatedAt: t0.Add(time.Minute), UpdatedAt: e.OccurredAt}
}

func TestOrderViewNeverGoesBackwards(t *testing.T) {
	tests := []struct {
		name  string
		saga  []msg.OrderStatusChanged
		order []int // indexes into saga, in arrival order
		want  frontend.Order
	}{
		{"in order", happy, []int{0, 1, 2, 3}, want(happy[3], "completed", "2026-11-30", "BK123")},
		{"reversed", happy, []int{3, 2, 1, 0}, want(happy[3], "completed", "2026-11-30", "BK123")},
		{"shuffled with duplicates", happy, []int{1, 1, 3, 0, 3, 2, 0},
			want(happy[3], "completed", "2026-11-30", "BK123")},
		{"latest not yet arrived", happy, []int{2, 0, 1, 0},
			want(happy[2], "processing", "2026-11-30", "BK123")},
		{"declined", declined, []int{2, 0, 1}, want(declined[2], "payment_declined", "", "")},
		{"stale event fills a missing fact", sparse, []int{2, 0, 1},
			want(sparse[2], "completed", "2026-11-30", "BK123")},
		{"newer event without a fact keeps it", sparse, []int{0, 1, 2},
			want(sparse[2], "completed", "2026-11-30", "BK123")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shop, db := newShop(t)
			for _, i := range tt.order {
				if err := handle(t, shop, db, &tt.saga[i]); err != nil {
					t.Fatalf("handle version %d: %v", tt.saga[i].Version, err)
				}
			}
			got, err := shop.Order(context.Background(), "ord-1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("order view (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOrderViewRandomArrivals replays the saga shuffled and with duplicates
// under many seeds: the view always ends at the highest version.
func TestOrderViewRandomArrivals(t *testing.T) {
	for seed := range uint64(25) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			var arrivals []msg.OrderStatusChanged
			for _, e := range happy {
				for range 1 + rng.IntN(3) {
					arrivals = append(arrivals, e)
				}
			}
			rng.Shuffle(len(arrivals), func(i, j int) { arrivals[i], arrivals[j] = arrivals[j], arrivals[i] })
			shop, db := newShop(t)
			for i := range arrivals {
				if err := handle(t, shop, db, &arrivals[i]); err != nil {
					t.Fatal(err)
				}
			}
			got, err := shop.Order(context.Background(), "ord-1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want(happy[3], "completed", "2026-11-30", "BK123"), got); diff != "" {
				t.Errorf("order view after %d arrivals (-want +got):\n%s", len(arrivals), diff)
			}
		})
	}
}

func TestHandleRefusesOtherTypes(t *testing.T) {
	shop, db := newShop(t)
	err := handle(t, shop, db, &msg.CancelPurchase{OrderID: "ord-1"})
	if !msg.IsPermanent(err) {
		t.Errorf("Handle(CancelPurchase) = %v, want a permanent error", err)
	}
}

func TestOccurredAtDefaultsToNow(t *testing.T) {
	shop, db := newShop(t)
	e := event(1, "charging_payment", "", "started")
	e.OccurredAt = time.Time{}
	if err := handle(t, shop, db, &e); err != nil {
		t.Fatal(err)
	}
	got, err := shop.Order(context.Background(), "ord-1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(t0.Add(time.Hour)) || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("created_at, updated_at = %v, %v, want the clock's %v", got.CreatedAt, got.UpdatedAt, t0.Add(time.Hour))
	}
}
