package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"bookshop/frontend"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func newDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "frontend.db"),
		sqlite.Options{}, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func order(v int64, state string, at time.Time) frontend.Order {
	return frontend.Order{ID: "ord-1", State: state, Status: "processing", Version: v, Event: "e",
		TotalCents: 4299, Currency: "EUR", CreatedAt: at, UpdatedAt: at}
}

// TestApplyReportsWhetherStored checks Apply's result arrival by arrival,
// and that created_at is the earliest time seen, updated_at the shown one's.
func TestApplyReportsWhetherStored(t *testing.T) {
	db, views := newDB(t), fsqlite.Orders{}
	ctx := context.Background()
	arrivals := []struct {
		o       frontend.Order
		applied bool
	}{
		{order(2, "scheduling_delivery", t0.Add(2*time.Minute)), true},
		{order(2, "scheduling_delivery", t0.Add(2*time.Minute)), false}, // duplicate
		{order(1, "charging_payment", t0.Add(time.Minute)), false},      // older
		{order(3, "sending_confirmation", t0.Add(3*time.Minute)), true},
		{order(3, "other", t0.Add(4*time.Minute)), false}, // same version, other content
	}
	for i, a := range arrivals {
		got, err := views.Apply(ctx, db, a.o)
		if err != nil {
			t.Fatalf("arrival %d: %v", i, err)
		}
		if got != a.applied {
			t.Errorf("arrival %d (version %d): applied = %v, want %v", i, a.o.Version, got, a.applied)
		}
	}
	got, err := views.Get(ctx, db, "ord-1")
	if err != nil {
		t.Fatal(err)
	}
	want := order(3, "sending_confirmation", t0.Add(3*time.Minute))
	want.CreatedAt = t0.Add(time.Minute)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored view (-want +got):\n%s", diff)
	}
}

func TestGetUnknownOrder(t *testing.T) {
	_, err := fsqlite.Orders{}.Get(context.Background(), newDB(t), "nope")
	if !errors.Is(err, frontend.ErrOrderNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrOrderNotFound", err)
	}
}
