// Package sqlite stores billing's ledger in the service's SQLite database.
package sqlite

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"bookshop/billing"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates billing's tables; pass it to service.New or sqlite.Open.
var Migrations, _ = fs.Sub(migrations, "migrations")

// row is a payments row as stored.
type row struct {
	ID          string `db:"id"`
	OrderID     string `db:"order_id"`
	Kind        string `db:"kind"`
	AmountCents int64  `db:"amount_cents"`
	Currency    string `db:"currency"`
	Status      string `db:"status"`
	Reason      string `db:"reason"`
	Token       string `db:"token"`
	GatewayRef  string `db:"gateway_ref"`
	CommandID   string `db:"command_id"`
	CreatedAt   string `db:"created_at"`
}

const columns = `id, order_id, kind, amount_cents, currency, status, reason, token, gateway_ref, command_id, created_at`

func (r row) payment() (billing.Payment, error) {
	at, err := pkgsqlite.ParseTime(r.CreatedAt)
	if err != nil {
		return billing.Payment{}, fmt.Errorf("payment %s created_at %q: %w", r.ID, r.CreatedAt, err)
	}
	return billing.Payment{ID: r.ID, OrderID: r.OrderID, Kind: billing.Kind(r.Kind),
		AmountCents: r.AmountCents, Currency: r.Currency, Status: billing.Status(r.Status),
		Reason: r.Reason, Token: r.Token, GatewayRef: r.GatewayRef, CommandID: r.CommandID,
		CreatedAt: at}, nil
}

func payments(rows []row) ([]billing.Payment, error) {
	out := make([]billing.Payment, 0, len(rows))
	for _, r := range rows {
		p, err := r.payment()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Ledger is billing.Ledger inside one transaction.
type Ledger struct{ tx *sqlx.Tx }

// NewLedger returns the ledger as seen by tx; it fits billing.Deps.Ledger.
func NewLedger(tx *sqlx.Tx) billing.Ledger { return Ledger{tx: tx} }

// The ledger's statements run under a context that is never cancelled: an
// interrupted write would roll back the whole batch's transaction, and
// database/sql and go-sqlite3 watch a cancellable context on a goroutine of
// their own per statement. They take microseconds.

// OrderPayments returns the order's payments, oldest first. It runs once per
// command, so it scans by hand and sorts in Go: an ORDER BY the index does
// not cover costs SQLite a sorter even for no rows, 19 µs against 7 µs
// without (measured on a ledger of 20,000 payments).
func (l Ledger) OrderPayments(ctx context.Context, orderID string) ([]billing.Payment, error) {
	rows, err := l.tx.QueryContext(context.WithoutCancel(ctx), `SELECT `+columns+` FROM payments
		WHERE order_id = ?`, orderID)
	if err != nil {
		return nil, fmt.Errorf("read payments of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []billing.Payment
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.ID, &r.OrderID, &r.Kind, &r.AmountCents, &r.Currency, &r.Status, &r.Reason,
			&r.Token, &r.GatewayRef, &r.CommandID, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("read payments of order %s: %w", orderID, err)
		}
		p, err := r.payment()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read payments of order %s: %w", orderID, err)
	}
	slices.SortStableFunc(out, func(a, b billing.Payment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Add records p.
func (l Ledger) Add(ctx context.Context, p billing.Payment) error {
	_, err := l.tx.ExecContext(context.WithoutCancel(ctx), `INSERT INTO payments (`+columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrderID, string(p.Kind), p.AmountCents, p.Currency, string(p.Status), p.Reason,
		p.Token, p.GatewayRef, p.CommandID, pkgsqlite.Time(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert payment %s of order %s: %w", p.ID, p.OrderID, err)
	}
	return nil
}

// Payments reads the ledger for the inspection API.
type Payments struct{ DB *sqlx.DB }

// List returns the order's payments oldest first or, for orderID "", the
// latest limit payments of all orders, oldest first.
func (s Payments) List(ctx context.Context, orderID string, limit int) ([]billing.Payment, error) {
	var rows []row
	var err error
	if orderID != "" {
		err = s.DB.SelectContext(ctx, &rows, `SELECT `+columns+` FROM payments
			WHERE order_id = ? ORDER BY created_at, id LIMIT ?`, orderID, limit)
	} else {
		err = s.DB.SelectContext(ctx, &rows, `SELECT * FROM (SELECT `+columns+` FROM payments
			ORDER BY created_at DESC, id DESC LIMIT ?) ORDER BY created_at, id`, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("list payments (order %q): %w", orderID, err)
	}
	return payments(rows)
}
