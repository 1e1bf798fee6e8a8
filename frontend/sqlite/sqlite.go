// Package sqlite stores the frontend's orders and their view in its SQLite
// database.
package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"bookshop/frontend"
	bsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates the frontend's tables; pass it to service.New.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Orders implements frontend.Orders.
type Orders struct{}

var _ frontend.Orders = Orders{}

// applySQL inserts the order, or replaces the stored one only if the new
// version is higher. The event is a snapshot of the saga, but a fact it
// leaves empty (delivery date, tracking id, total, currency) keeps its stored
// value: an event that does not mention the delivery has not undone it. It
// also does what fillSQL would do after it, so that an event that applies
// (most do: they arrive in order) costs one statement: created_at keeps the
// earliest time seen, and a total still 0 takes the event's whatever it is.
const applySQL = `
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
    total_cents    = CASE WHEN excluded.total_cents > 0 OR order_view.total_cents = 0
                          THEN excluded.total_cents ELSE order_view.total_cents END,
    currency       = coalesce(nullif(excluded.currency, ''), order_view.currency),
    created_at     = min(order_view.created_at, excluded.created_at),
    updated_at     = excluded.updated_at
WHERE excluded.version > order_view.version`

// fillSQL runs for an event that applySQL did not store (stale or a
// duplicate): it fills facts the view does not know yet and never
// overwrites one, and keeps the earliest time seen as created_at. So a late
// v3 still brings the tracking id that a v4 without it lacked, whatever
// order the two arrived in.
const fillSQL = `
UPDATE order_view SET
    expected_date = CASE WHEN expected_date = '' THEN ? ELSE expected_date END,
    tracking_id   = CASE WHEN tracking_id = '' THEN ? ELSE tracking_id END,
    total_cents   = CASE WHEN total_cents = 0 THEN ? ELSE total_cents END,
    currency      = CASE WHEN currency = '' THEN ? ELSE currency END,
    created_at    = min(created_at, ?)
WHERE order_id = ?`

// Apply stores o unless an equal or later version is there (applySQL, which
// also fills), else fills in what the view still lacks (fillSQL). An order
// placed here starts at version 0, so its first event always applies.
func (Orders) Apply(ctx context.Context, tx sqlx.ExtContext, o frontend.Order) (bool, error) {
	created := bsqlite.Time(o.CreatedAt)
	res, err := tx.ExecContext(ctx, applySQL, o.ID, o.State, o.Status, o.Version, o.Event,
		o.FailureReason, o.ExpectedDate, o.TrackingID, o.TotalCents, o.Currency, created, bsqlite.Time(o.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("store order view %s version %d: %w", o.ID, o.Version, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store order view %s version %d: %w", o.ID, o.Version, err)
	}
	if n > 0 {
		return true, nil
	}
	_, err = tx.ExecContext(ctx, fillSQL, o.ExpectedDate, o.TrackingID, o.TotalCents, o.Currency, created, o.ID)
	if err != nil {
		return false, fmt.Errorf("fill order view %s from version %d: %w", o.ID, o.Version, err)
	}
	return false, nil
}

// RequestCancel records the customer's cancel request on a placed order.
func (Orders) RequestCancel(ctx context.Context, tx sqlx.ExtContext, id, reason string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE orders SET cancel_requested_at = ?, cancel_reason = ?
		WHERE order_id = ?`, bsqlite.Time(at), reason, id)
	if err != nil {
		return fmt.Errorf("record cancel request of order %s: %w", id, err)
	}
	return nil
}

// ByKey finds the order an Idempotency-Key placed.
func (Orders) ByKey(ctx context.Context, q sqlx.QueryerContext, key string) (string, string, error) {
	var id, hash string
	err := q.QueryRowxContext(ctx, `SELECT order_id, request_hash FROM orders WHERE idempotency_key = ?`, key).
		Scan(&id, &hash)
	if errors.Is(err, bsqlite.ErrNoRows) {
		return "", "", fmt.Errorf("idempotency key %q: %w", key, frontend.ErrOrderNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("look up idempotency key %q: %w", key, err)
	}
	return id, hash, nil
}

// Get returns the view of order id with its checkout facts, if any.
func (Orders) Get(ctx context.Context, q sqlx.QueryerContext, id string) (frontend.Order, error) {
	var r orderRow
	err := sqlx.GetContext(ctx, q, &r, getSQL, id)
	if errors.Is(err, bsqlite.ErrNoRows) {
		return frontend.Order{}, fmt.Errorf("order %s: %w", id, frontend.ErrOrderNotFound)
	}
	if err != nil {
		return frontend.Order{}, fmt.Errorf("load order %s: %w", id, err)
	}
	return r.order()
}
