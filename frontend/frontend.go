// Package frontend is the bookshop's customer-facing side: the books it
// sells, the checkout that accepts an order (the order and its StartPurchase
// in one transaction, so an accepted order is never lost), the customer's
// cancel, and its own view of each order, kept from the OrderStatusChanged
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

// ErrKeyTaken is returned by Orders.Place when another order already holds
// the Idempotency-Key.
var ErrKeyTaken = errors.New("idempotency key already used")

// Book is a catalog title as a customer sees it.
type Book struct {
	ISBN       string
	Title      string
	Author     string
	PriceCents int64
	Currency   string
	Available  bool
}

// Order is the frontend's view of one order: what the customer gave at
// checkout, plus the latest saga state it has heard of.
type Order struct {
	ID            string
	State         string // saga state; empty until the first event
	Status        string // the customer's word for State (CustomerStatus)
	Version       int64  // saga version of the event the view reflects; 0 before any
	Event         string // saga event that led to State
	FailureReason string
	ExpectedDate  string // YYYY-MM-DD, empty until a delivery is scheduled
	TrackingID    string
	TotalCents    int64
	Currency      string
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// Checkout facts: empty for an order the frontend only heard of from
	// events (one placed by another client straight on the broker).
	Items             []msg.Item
	Customer          msg.Customer
	ShippingAddress   msg.Address
	PaymentToken      string
	CancelRequestedAt time.Time // zero until the customer asks to cancel
	CancelReason      string
}

// Orders stores the orders and their view. Every method taking a tx or a
// queryer runs in the caller's transaction.
type Orders interface {
	// Place stores a new order from checkout, shown `accepted`, with the
	// Idempotency-Key (may be empty) and the hash of the request that
	// placed it. A key already held fails with an error wrapping
	// ErrKeyTaken.
	Place(ctx context.Context, tx sqlx.ExtContext, o Order, key, requestHash string) error
	// ByKey returns the id and request hash of the order placed with key,
	// or an error wrapping ErrOrderNotFound.
	ByKey(ctx context.Context, q sqlx.QueryerContext, key string) (id, requestHash string, err error)
	// Apply stores o's saga facts unless the view already holds version
	// o.Version of that order or a later one, and reports whether it stored
	// them.
	Apply(ctx context.Context, tx sqlx.ExtContext, o Order) (bool, error)
	// RequestCancel records the customer's cancel request.
	RequestCancel(ctx context.Context, tx sqlx.ExtContext, id, reason string, at time.Time) error
	// Get returns the order, or an error wrapping ErrOrderNotFound.
	Get(ctx context.Context, q sqlx.QueryerContext, id string) (Order, error)
}

// Deps is what a Shop is built from. Now, NewID, Notify and Metrics may be
// nil (time.Now, msg.NewID, nothing, no metrics).
type Deps struct {
	Catalog *catalog.Catalog
	DB      *sqlx.DB // transactions span Orders and the outbox
	Orders  Orders
	Log     *slog.Logger
	Now     func() time.Time
	NewID   func() string
	Notify  func() // wakes the outbox relay after a commit that added to it
	Metrics *Metrics
}

// Shop is the frontend's domain: the catalog, the checkout and the orders.
type Shop struct {
	catalog *catalog.Catalog
	db      *sqlx.DB
	orders  Orders
	log     *slog.Logger
	now     func() time.Time
	newID   func() string
	notify  func()
	metrics *Metrics
}

// NewShop returns a Shop.
func NewShop(d Deps) *Shop {
	s := &Shop{catalog: d.Catalog, db: d.DB, orders: d.Orders, log: d.Log, now: d.Now,
		newID: d.NewID, notify: d.Notify, metrics: d.Metrics}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = msg.NewID
	}
	if s.notify == nil {
		s.notify = func() {}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Books lists the catalog in file order. Availability comes from the
// catalog's starting stock; fulfillment owns the live stock.
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
	return s.orders.Get(ctx, s.db, id)
}
