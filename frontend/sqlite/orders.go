package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"bookshop/frontend"
	"bookshop/pkg/msg"
	bsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// Place stores a new order: its checkout facts in orders and its view,
// `accepted` at version 0, in order_view.
func (Orders) Place(ctx context.Context, tx sqlx.ExtContext, o frontend.Order, key, requestHash string) error {
	items, err := json.Marshal(o.Items)
	if err != nil {
		return fmt.Errorf("encode items of order %s: %w", o.ID, err)
	}
	a := o.ShippingAddress
	created := bsqlite.Time(o.CreatedAt)
	_, err = tx.ExecContext(ctx, `INSERT INTO orders (order_id, idempotency_key, request_hash,
		customer_name, customer_email, items, ship_line1, ship_line2, ship_city, ship_postal_code,
		ship_country, payment_token, total_cents, currency, placed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, sql.NullString{String: key, Valid: key != ""}, requestHash, o.Customer.Name, o.Customer.Email,
		items, a.Line1, a.Line2, a.City, a.PostalCode, a.Country, o.PaymentToken, o.TotalCents, o.Currency,
		created)
	if bsqlite.IsUniqueViolation(err) && key != "" {
		return fmt.Errorf("place order %s with key %q: %w", o.ID, key, frontend.ErrKeyTaken)
	}
	if err != nil {
		return fmt.Errorf("place order %s: %w", o.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO order_view (order_id, state, status, version,
		total_cents, currency, created_at, updated_at) VALUES (?, '', ?, 0, ?, ?, ?, ?)`,
		o.ID, frontend.CustomerStatus("", ""), o.TotalCents, o.Currency, created, bsqlite.Time(o.UpdatedAt))
	if err != nil {
		return fmt.Errorf("place order %s in the order view: %w", o.ID, err)
	}
	return nil
}

// getSQL reads the view with the checkout facts; an order heard of only
// from events has none (the LEFT JOIN finds no orders row).
const getSQL = `
SELECT v.order_id, v.state, v.status, v.version, v.event, v.failure_reason,
    v.expected_date, v.tracking_id, v.total_cents, v.currency, v.created_at, v.updated_at,
    coalesce(o.customer_name, '') AS customer_name, coalesce(o.customer_email, '') AS customer_email,
    coalesce(o.items, '[]') AS items, coalesce(o.ship_line1, '') AS ship_line1,
    coalesce(o.ship_line2, '') AS ship_line2, coalesce(o.ship_city, '') AS ship_city,
    coalesce(o.ship_postal_code, '') AS ship_postal_code, coalesce(o.ship_country, '') AS ship_country,
    coalesce(o.payment_token, '') AS payment_token,
    coalesce(o.cancel_requested_at, '') AS cancel_requested_at, coalesce(o.cancel_reason, '') AS cancel_reason
FROM order_view v LEFT JOIN orders o ON o.order_id = v.order_id
WHERE v.order_id = ?`

type orderRow struct {
	ID                string `db:"order_id"`
	State             string `db:"state"`
	Status            string `db:"status"`
	Version           int64  `db:"version"`
	Event             string `db:"event"`
	FailureReason     string `db:"failure_reason"`
	ExpectedDate      string `db:"expected_date"`
	TrackingID        string `db:"tracking_id"`
	TotalCents        int64  `db:"total_cents"`
	Currency          string `db:"currency"`
	CreatedAt         string `db:"created_at"`
	UpdatedAt         string `db:"updated_at"`
	CustomerName      string `db:"customer_name"`
	CustomerEmail     string `db:"customer_email"`
	Items             string `db:"items"`
	Line1             string `db:"ship_line1"`
	Line2             string `db:"ship_line2"`
	City              string `db:"ship_city"`
	PostalCode        string `db:"ship_postal_code"`
	Country           string `db:"ship_country"`
	PaymentToken      string `db:"payment_token"`
	CancelRequestedAt string `db:"cancel_requested_at"`
	CancelReason      string `db:"cancel_reason"`
}

func (r orderRow) order() (frontend.Order, error) {
	o := frontend.Order{
		ID: r.ID, State: r.State, Status: r.Status, Version: r.Version, Event: r.Event,
		FailureReason: r.FailureReason, ExpectedDate: r.ExpectedDate, TrackingID: r.TrackingID,
		TotalCents: r.TotalCents, Currency: r.Currency,
		Customer:        msg.Customer{Name: r.CustomerName, Email: r.CustomerEmail},
		ShippingAddress: msg.Address{Line1: r.Line1, Line2: r.Line2, City: r.City, PostalCode: r.PostalCode, Country: r.Country},
		PaymentToken:    r.PaymentToken, CancelReason: r.CancelReason,
	}
	var err error
	if o.CreatedAt, err = bsqlite.ParseTime(r.CreatedAt); err != nil {
		return frontend.Order{}, fmt.Errorf("order %s: created_at: %w", r.ID, err)
	}
	if o.UpdatedAt, err = bsqlite.ParseTime(r.UpdatedAt); err != nil {
		return frontend.Order{}, fmt.Errorf("order %s: updated_at: %w", r.ID, err)
	}
	if r.CancelRequestedAt != "" {
		if o.CancelRequestedAt, err = bsqlite.ParseTime(r.CancelRequestedAt); err != nil {
			return frontend.Order{}, fmt.Errorf("order %s: cancel_requested_at: %w", r.ID, err)
		}
	}
	if r.Items == "[]" {
		return o, nil // heard of from events only
	}
	if err := json.Unmarshal([]byte(r.Items), &o.Items); err != nil {
		return frontend.Order{}, fmt.Errorf("order %s: items: %w", r.ID, err)
	}
	return o, nil
}
