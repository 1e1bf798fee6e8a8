package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"bookshop/fulfillment"
	db "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

type shipmentRow struct {
	ID           string `db:"id"`
	OrderID      string `db:"order_id"`
	Status       string `db:"status"`
	ExpectedDate string `db:"expected_date"`
	TrackingID   string `db:"tracking_id"`
	Address      string `db:"shipping_address"`
	CreatedAt    string `db:"created_at"`
}

const shipmentColumns = `id, order_id, status, expected_date, tracking_id, shipping_address, created_at`

func (r shipmentRow) shipment() (fulfillment.Shipment, error) {
	created, err := db.ParseTime(r.CreatedAt)
	if err != nil {
		return fulfillment.Shipment{}, fmt.Errorf("read shipment %s created_at: %w", r.ID, err)
	}
	return fulfillment.Shipment{ID: r.ID, OrderID: r.OrderID, Status: r.Status, ExpectedDate: r.ExpectedDate,
		TrackingID: r.TrackingID, Address: r.Address, CreatedAt: created}, nil
}

// ShipmentByOrder returns the order's shipment with its lines, or
// fulfillment.ErrNotFound. Scanned by hand: it runs once per command.
func (s *Store) ShipmentByOrder(ctx context.Context, orderID string) (fulfillment.Shipment, error) {
	var row shipmentRow
	err := s.q.QueryRowxContext(ctx, `SELECT `+shipmentColumns+` FROM shipments WHERE order_id = ?`, orderID).
		Scan(&row.ID, &row.OrderID, &row.Status, &row.ExpectedDate, &row.TrackingID, &row.Address, &row.CreatedAt)
	if errors.Is(err, db.ErrNoRows) {
		return fulfillment.Shipment{}, fmt.Errorf("shipment of order %s: %w", orderID, fulfillment.ErrNotFound)
	}
	if err != nil {
		return fulfillment.Shipment{}, fmt.Errorf("read shipment of order %s: %w", orderID, err)
	}
	sh, err := row.shipment()
	if err != nil {
		return fulfillment.Shipment{}, err
	}
	var lines []struct {
		ISBN     string `db:"isbn"`
		Quantity int    `db:"quantity"`
	}
	err = sqlx.SelectContext(ctx, s.q, &lines,
		`SELECT isbn, quantity FROM shipment_lines WHERE shipment_id = ? ORDER BY position`, sh.ID)
	if err != nil {
		return fulfillment.Shipment{}, fmt.Errorf("read lines of shipment %s: %w", sh.ID, err)
	}
	for _, l := range lines {
		sh.Lines = append(sh.Lines, fulfillment.Line{ISBN: l.ISBN, Quantity: l.Quantity})
	}
	return sh, nil
}

// Shipments lists shipments newest first, without their lines: the order's
// only, or when orderID is empty the latest limit of all.
func (s *Store) Shipments(ctx context.Context, orderID string, limit int) ([]fulfillment.Shipment, error) {
	var rows []shipmentRow
	query := `SELECT ` + shipmentColumns + ` FROM shipments ORDER BY created_at DESC, id DESC LIMIT ?`
	args := []any{limit}
	if orderID != "" {
		query = `SELECT ` + shipmentColumns + ` FROM shipments WHERE order_id = ? LIMIT ?`
		args = []any{orderID, limit}
	}
	if err := sqlx.SelectContext(ctx, s.q, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("list shipments of order %q: %w", orderID, err)
	}
	out := make([]fulfillment.Shipment, len(rows))
	for i, r := range rows {
		sh, err := r.shipment()
		if err != nil {
			return nil, err
		}
		out[i] = sh
	}
	return out, nil
}

// CreateShipment stores a new shipment and its lines.
func (s *Store) CreateShipment(ctx context.Context, sh fulfillment.Shipment) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO shipments (`+shipmentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		sh.ID, sh.OrderID, sh.Status, sh.ExpectedDate, sh.TrackingID, sh.Address, db.Time(sh.CreatedAt))
	if err != nil {
		return fmt.Errorf("store shipment %s of order %s: %w", sh.ID, sh.OrderID, err)
	}
	for i, l := range sh.Lines {
		_, err := s.q.ExecContext(ctx, `INSERT INTO shipment_lines (shipment_id, position, isbn, quantity)
			VALUES (?, ?, ?, ?)`, sh.ID, i, l.ISBN, l.Quantity)
		if err != nil {
			return fmt.Errorf("store line %s of shipment %s: %w", l.ISBN, sh.ID, err)
		}
	}
	return nil
}

// CancelShipment marks a scheduled shipment cancelled.
func (s *Store) CancelShipment(ctx context.Context, id string, at time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE shipments SET status = ?, cancelled_at = ?
		WHERE id = ? AND status = ?`, fulfillment.StatusCancelled, db.Time(at), id, fulfillment.StatusScheduled)
	if err != nil {
		return fmt.Errorf("cancel shipment %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("cancel shipment %s: not a scheduled shipment (%d rows, %v)", id, n, err)
	}
	return nil
}

// TrackingIDTaken reports whether a shipment already has that tracking id.
func (s *Store) TrackingIDTaken(ctx context.Context, trackingID string) (bool, error) {
	taken, err := s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM shipments WHERE tracking_id = ?)`, trackingID)
	if err != nil {
		return false, fmt.Errorf("look up tracking id %s: %w", trackingID, err)
	}
	return taken, nil
}

// Cancelled reports whether a cancellation was recorded for the order.
func (s *Store) Cancelled(ctx context.Context, orderID string) (bool, error) {
	cancelled, err := s.exists(ctx, `SELECT EXISTS (SELECT 1 FROM cancellations WHERE order_id = ?)`, orderID)
	if err != nil {
		return false, fmt.Errorf("look up cancellation of order %s: %w", orderID, err)
	}
	return cancelled, nil
}

// exists runs a SELECT EXISTS query, without sqlx's reflection.
func (s *Store) exists(ctx context.Context, query string, arg any) (bool, error) {
	var yes bool
	err := s.q.QueryRowxContext(ctx, query, arg).Scan(&yes)
	return yes, err
}

// RecordCancellation remembers that the order was cancelled; the first time counts.
func (s *Store) RecordCancellation(ctx context.Context, orderID string, at time.Time) error {
	_, err := s.q.ExecContext(ctx, `INSERT OR IGNORE INTO cancellations (order_id, cancelled_at) VALUES (?, ?)`,
		orderID, db.Time(at))
	if err != nil {
		return fmt.Errorf("record cancellation of order %s: %w", orderID, err)
	}
	return nil
}
