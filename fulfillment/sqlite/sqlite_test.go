package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"bookshop/fulfillment"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/catalog"
	db "bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

func book(isbn string, stock int) catalog.Book {
	return catalog.Book{ISBN: isbn, Title: "T", Author: "A", PriceCents: 1, Currency: "EUR", Stock: stock}
}

func open(t *testing.T, path string) *sqlx.DB {
	t.Helper()
	sdb, err := db.Open(context.Background(), path, db.Options{}, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	return sdb
}

func inTx(t *testing.T, sdb *sqlx.DB, fn func(s *fsqlite.Store) error) {
	t.Helper()
	if err := db.InTx(context.Background(), sdb, func(tx *sqlx.Tx) error { return fn(fsqlite.New(tx)) }); err != nil {
		t.Fatal(err)
	}
}

// SeedStock fills a new database from the catalog; on a later start it adds
// the titles new to the catalog and leaves the others as they are.
func TestSeedStock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f.db")
	sdb := open(t, path)
	tests := []struct {
		name      string
		books     []catalog.Book
		wantAdded int
		want      []fulfillment.StockLevel
	}{
		{"new database", []catalog.Book{book("9780262033848", 5), book("9780451524935", 0)}, 2,
			[]fulfillment.StockLevel{{ISBN: "9780262033848", Available: 3, Reserved: 2}, {ISBN: "9780451524935"}}},
		{"same catalog again", []catalog.Book{book("9780262033848", 5), book("9780451524935", 0)}, 0,
			[]fulfillment.StockLevel{{ISBN: "9780262033848", Available: 3, Reserved: 2}, {ISBN: "9780451524935"}}},
		{"new title, changed stock", []catalog.Book{book("9780262033848", 50), book("9780134190440", 7)}, 1,
			[]fulfillment.StockLevel{{ISBN: "9780134190440", Available: 7}, {ISBN: "9780262033848", Available: 3, Reserved: 2},
				{ISBN: "9780451524935"}}},
	}
	for i, tt := range tests {
		added, err := fsqlite.SeedStock(ctx, sdb, tt.books)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if i == 0 { // a reservation that later seeds must leave alone
			inTx(t, sdb, func(s *fsqlite.Store) error {
				return s.Reserve(ctx, []fulfillment.Line{{ISBN: "9780262033848", Quantity: 2}})
			})
		}
		got, err := fsqlite.New(sdb).Stock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if added != tt.wantAdded {
			t.Errorf("%s: added %d, want %d", tt.name, added, tt.wantAdded)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: stock (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestReserveAndReleaseRefuseWhatTheStockCannotGive(t *testing.T) {
	ctx := context.Background()
	sdb := open(t, filepath.Join(t.TempDir(), "f.db"))
	if _, err := fsqlite.SeedStock(ctx, sdb, []catalog.Book{book("9780262033848", 1)}); err != nil {
		t.Fatal(err)
	}
	s := fsqlite.New(sdb)
	two := []fulfillment.Line{{ISBN: "9780262033848", Quantity: 2}}
	if err := s.Reserve(ctx, two); err == nil {
		t.Error("Reserve(2 of a stock of 1) succeeded")
	}
	if err := s.Release(ctx, two); err == nil {
		t.Error("Release(2 of 0 reserved) succeeded")
	}
	if err := s.Reserve(ctx, []fulfillment.Line{{ISBN: "9780000000002", Quantity: 1}}); err == nil {
		t.Error("Reserve(unknown isbn) succeeded")
	}
}

func TestShipments(t *testing.T) {
	ctx := context.Background()
	sdb := open(t, filepath.Join(t.TempDir(), "f.db"))
	if _, err := fsqlite.SeedStock(ctx, sdb, []catalog.Book{book("9780262033848", 10)}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 11, 28, 10, 0, 0, 0, time.UTC)
	inTx(t, sdb, func(s *fsqlite.Store) error {
		for i := range 3 {
			err := s.CreateShipment(ctx, fulfillment.Shipment{ID: fmt.Sprint("shp-", i), OrderID: fmt.Sprint("order-", i),
				Status: "scheduled", ExpectedDate: "2025-12-03", TrackingID: fmt.Sprint("BK000000000", i),
				Address: "{}", CreatedAt: start.Add(time.Duration(i) * time.Minute),
				Lines: []fulfillment.Line{{ISBN: "9780262033848", Quantity: 1}}})
			if err != nil {
				return err
			}
		}
		return s.CancelShipment(ctx, "shp-1", start.Add(time.Hour))
	})
	tests := []struct {
		order string
		limit int
		want  []string // id status
	}{
		{"", 1000, []string{"shp-2 scheduled", "shp-1 cancelled", "shp-0 scheduled"}},
		{"", 2, []string{"shp-2 scheduled", "shp-1 cancelled"}},
		{"order-1", 1000, []string{"shp-1 cancelled"}},
		{"order-9", 1000, []string{}},
	}
	for _, tt := range tests {
		list, err := fsqlite.New(sdb).Shipments(ctx, tt.order, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, s := range list {
			got = append(got, s.ID+" "+s.Status)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Shipments(%q, %d) (-want +got):\n%s", tt.order, tt.limit, diff)
		}
	}
	if err := fsqlite.New(sdb).CancelShipment(ctx, "shp-1", start); err == nil {
		t.Error("cancelling a cancelled shipment succeeded")
	}
}
