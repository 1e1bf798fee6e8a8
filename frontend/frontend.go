// Package frontend is the bookshop's customer-facing side: the books it
// sells, and its own view of each order, kept from the OrderStatusChanged
// events the orchestrator publishes so that a customer's order page works
// while the orchestrator is down.
package frontend

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// ErrOrderNotFound is returned for an order id the view does not hold.
var ErrOrderNotFound = errors.New("order not found")

// Book is a catalog title as a customer sees it.
type Book struct {
	ISBN       string
	Title      string
	Author     string
	PriceCents int64
	Currency   string
	Available  bool
}

// Order is the frontend's view of one order: the latest saga state it has
// heard of, plus what the customer gave at checkout.
type Order struct {
	ID            string
	State         string // saga state
	Status        string // the customer's word for State (CustomerStatus)
	Version       int64  // saga version of the event the view reflects
	Event         string // saga event that led to State
	FailureReason string
	ExpectedDate  string // YYYY-MM-DD, empty until a delivery is scheduled
	TrackingID    string
	TotalCents    int64
	Currency      string
	Items         []msg.Item   // stored at checkout (a later issue); empty for now
	Customer      msg.Customer // stored at checkout (a later issue); empty for now
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// OrderViews stores the order view.
type OrderViews interface {
	// Apply stores o unless the view already holds version o.Version of
	// that order or a later one, and reports whether it stored it. It runs
	// in the caller's transaction.
	Apply(ctx context.Context, tx sqlx.ExtContext, o Order) (bool, error)
	// Get returns the order, or an error wrapping ErrOrderNotFound.
	Get(ctx context.Context, id string) (Order, error)
}

// Shop is the frontend's domain: the catalog and the order view.
type Shop struct {
	catalog *catalog.Catalog
	orders  OrderViews
	log     *slog.Logger
	now     func() time.Time
	metrics *Metrics
}

// NewShop returns a Shop. now is the clock; metrics may be nil.
func NewShop(cat *catalog.Catalog, orders OrderViews, log *slog.Logger, now func() time.Time, metrics *Metrics) *Shop {
	return &Shop{catalog: cat, orders: orders, log: log, now: now, metrics: metrics}
}

// Books lists the catalog in file order. Availability comes from the
// catalog's starting stock for now; fulfillment owns the live stock.
func (s *Shop) Books() []Book {
	out := make([]Book, 0, len(s.catalog.Books))
	for _, b := range s.catalog.Books {
		out = append(out, Book{
			ISBN: b.ISBN, Title: b.Title, Author: b.Author,
			PriceCents: b.PriceCents, Currency: b.Currency, Available: b.Stock > 0,
		})
	}
	return out
}

// Order returns the view of order id, or an error wrapping ErrOrderNotFound.
func (s *Shop) Order(ctx context.Context, id string) (Order, error) {
	return s.orders.Get(ctx, id)
}
