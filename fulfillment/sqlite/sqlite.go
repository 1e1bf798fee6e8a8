// Package sqlite stores fulfillment's stock, shipments and cancellations in
// the service's SQLite database.
package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"bookshop/fulfillment"
	"bookshop/pkg/catalog"
	db "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates fulfillment's tables; pass it to service.New.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes fulfillment's tables through q: the handler's
// transaction, or the database itself for the inspection API.
type Store struct{ q sqlx.ExtContext }

// New returns a Store working through q.
func New(q sqlx.ExtContext) *Store { return &Store{q: q} }

// ForTx is the fulfillment.Deps.Store of a Fulfillment backed by SQLite.
func ForTx(tx *sqlx.Tx) fulfillment.Store { return New(tx) }

var _ fulfillment.Store = (*Store)(nil)

// SeedStock adds a stock row for each book that has none, with the book's
// catalog stock all available; existing rows are left as they are. It
// returns how many rows it added.
func SeedStock(ctx context.Context, sdb *sqlx.DB, books []catalog.Book) (int, error) {
	added := 0
	err := db.InTx(ctx, sdb, func(tx *sqlx.Tx) error {
		for _, b := range books {
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO stock (isbn, available, reserved)
				VALUES (?, ?, 0)`, b.ISBN, b.Stock)
			if err != nil {
				return fmt.Errorf("seed stock of %s: %w", b.ISBN, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("seed stock of %s: %w", b.ISBN, err)
			}
			added += int(n)
		}
		return nil
	})
	return added, err
}
