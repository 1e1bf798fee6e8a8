package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"bookshop/frontend"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/msg"
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

// refApply is how Apply stored an event before it took one statement for
// an event that applies: the upsert guarded by version, then the fill, for
// every event.
func refApply(ctx context.Context, db *sqlx.DB, o frontend.Order) (bool, error) {
	res, err := db.ExecContext(ctx, `
INSERT INTO order_view (order_id, state, status, version, event, failure_reason,
    expected_date, tracking_id, total_cents, currency, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (order_id) DO UPDATE SET
    state          = excluded.state,
    status         = excluded.status,
    version        = excluded.version,
    event          = excluded.event,
    failure_reason = excluded.failure_reason,
    expected_date  = coalesce(nullif(excluded.expected_date, ''), order_view.expected_date),
    tracking_id    = coalesce(nullif(excluded.tracking_id, ''), order_view.tracking_id),
    total_cents    = CASE WHEN excluded.total_cents > 0 THEN excluded.total_cents ELSE order_view.total_cents END,
    currency       = coalesce(nullif(excluded.currency, ''), order_view.currency),
    updated_at     = excluded.updated_at
WHERE excluded.version > order_view.version`, o.ID, o.State, o.Status, o.Version, o.Event,
		o.FailureReason, o.ExpectedDate, o.TrackingID, o.TotalCents, o.Currency,
		sqlite.Time(o.CreatedAt), sqlite.Time(o.UpdatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	_, err = db.ExecContext(ctx, `
UPDATE order_view SET
    expected_date = CASE WHEN expected_date = '' THEN ? ELSE expected_date END,
    tracking_id   = CASE WHEN tracking_id = '' THEN ? ELSE tracking_id END,
    total_cents   = CASE WHEN total_cents = 0 THEN ? ELSE total_cents END,
    currency      = CASE WHEN currency = '' THEN ? ELSE currency END,
    created_at    = min(created_at, ?)
WHERE order_id = ?`, o.ExpectedDate, o.TrackingID, o.TotalCents, o.Currency, sqlite.Time(o.CreatedAt), o.ID)
	return n > 0, err
}

// TestApplyMatchesReference applies random event sequences (versions out
// of order and repeated, facts present or missing, totals positive, zero
// or negative, orders placed here or not) to Apply and to refApply, and
// requires the same answers and the same rows.
func TestApplyMatchesReference(t *testing.T) {
	ctx := context.Background()
	got, ref := newDB(t), newDB(t)
	views := fsqlite.Orders{}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	for i := range 400 {
		id := fmt.Sprintf("ord-%d", i)
		if rng.IntN(2) == 0 {
			placed := frontend.Order{ID: id, TotalCents: int64(rng.IntN(3)) * 100, Currency: pick("", "EUR"),
				CreatedAt: t0, UpdatedAt: t0, Customer: msg.Customer{Name: "A", Email: "a@example.com"}}
			for _, db := range []*sqlx.DB{got, ref} {
				if err := views.Place(ctx, db, placed, "", ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		for range 1 + rng.IntN(8) {
			at := t0.Add(time.Duration(rng.IntN(600)-100) * time.Second)
			o := frontend.Order{ID: id, State: pick("charging_payment", "completed", "declined"),
				Status: pick("processing", "completed"), Version: int64(rng.IntN(5)), Event: pick("e1", "e2"),
				FailureReason: pick("", "card_declined"), ExpectedDate: pick("", "2026-11-30", "2026-12-01"),
				TrackingID: pick("", "BK1", "BK2"), TotalCents: int64(rng.IntN(5)-1) * 1000,
				Currency: pick("", "EUR", "USD"), CreatedAt: at, UpdatedAt: at}
			if rng.IntN(4) == 0 {
				o.UpdatedAt = at.Add(time.Minute)
			}
			a, err := views.Apply(ctx, got, o)
			if err != nil {
				t.Fatal(err)
			}
			b, err := refApply(ctx, ref, o)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Fatalf("%s version %d: Apply = %v, reference %v", id, o.Version, a, b)
			}
		}
	}
	rows := func(db *sqlx.DB) []map[string]any {
		var out []map[string]any
		r, err := db.QueryxContext(ctx, `SELECT * FROM order_view ORDER BY order_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			m := map[string]any{}
			if err := r.MapScan(m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	if diff := cmp.Diff(rows(ref), rows(got)); diff != "" {
		t.Errorf("order_view (-reference +Apply):\n%s", diff)
	}
}
