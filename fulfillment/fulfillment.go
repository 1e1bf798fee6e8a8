// Package fulfillment is the bookshop's stock and delivery scheduling: it
// reserves copies for an order, plans its delivery, and releases the copies
// when the order is cancelled. Storage lives in fulfillment/sqlite, the
// inspection API in fulfillment/httpapi.
package fulfillment

import (
	"context"
	"errors"
	"time"
)

// Status of a shipment.
const (
	StatusScheduled = "scheduled"
	StatusCancelled = "cancelled"
)

// Reasons a delivery fails (msg.DeliveryFailed.Reason).
const (
	ReasonOutOfStock     = "out_of_stock"
	ReasonUnknownISBN    = "unknown_isbn"
	ReasonOrderCancelled = "order_cancelled"
)

// DateFormat is how expected delivery dates are written.
const DateFormat = "2006-01-02"

// ErrNotFound is returned by a Store when the thing asked for does not exist.
var ErrNotFound = errors.New("not found")

// Line is one title of a shipment and how many copies of it.
type Line struct {
	ISBN     string `json:"isbn"`
	Quantity int    `json:"quantity"`
}

// Shipment is one order's planned delivery; an order has at most one.
type Shipment struct {
	ID           string
	OrderID      string
	Status       string
	ExpectedDate string // YYYY-MM-DD
	TrackingID   string
	Address      string // the shipping address as JSON
	CreatedAt    time.Time
	Lines        []Line
}

// StockLevel is the stock of one title: Available + Reserved is constant.
type StockLevel struct {
	ISBN      string
	Available int
	Reserved  int
}

// Store is what the handlers need of storage, bound to the transaction the
// inbox runs them in.
type Store interface {
	// Cancelled reports whether a cancellation was recorded for the order.
	Cancelled(ctx context.Context, orderID string) (bool, error)
	// RecordCancellation remembers that the order was cancelled; again is a no-op.
	RecordCancellation(ctx context.Context, orderID string, at time.Time) error
	// ShipmentByOrder returns the order's shipment with its lines, or ErrNotFound.
	ShipmentByOrder(ctx context.Context, orderID string) (Shipment, error)
	// StockOf returns the stock of each known ISBN among isbns.
	StockOf(ctx context.Context, isbns []string) (map[string]StockLevel, error)
	// Reserve moves each line's quantity from available to reserved.
	Reserve(ctx context.Context, lines []Line) error
	// Release moves each line's quantity from reserved back to available.
	Release(ctx context.Context, lines []Line) error
	// TrackingIDTaken reports whether a shipment already has that tracking id.
	TrackingIDTaken(ctx context.Context, trackingID string) (bool, error)
	// CreateShipment stores a new shipment and its lines.
	CreateShipment(ctx context.Context, s Shipment) error
	// CancelShipment marks the shipment cancelled.
	CancelShipment(ctx context.Context, id string, at time.Time) error
}

// MergeLines adds up the quantities of lines naming the same ISBN, keeping
// the order in which ISBNs first appear.
func MergeLines(lines []Line) []Line {
	out := make([]Line, 0, len(lines))
	at := make(map[string]int, len(lines))
	for _, l := range lines {
		if i, ok := at[l.ISBN]; ok {
			out[i].Quantity += l.Quantity
			continue
		}
		at[l.ISBN] = len(out)
		out = append(out, l)
	}
	return out
}

// CheckStock decides whether every line can be reserved from levels (one
// entry per known ISBN). It returns "" when all can, else the failure reason:
// an unknown ISBN wins over too little stock.
func CheckStock(levels map[string]StockLevel, lines []Line) string {
	for _, l := range lines {
		if _, ok := levels[l.ISBN]; !ok {
			return ReasonUnknownISBN
		}
	}
	for _, l := range lines {
		// A non-positive quantity can only come from an overflowing sum.
		if l.Quantity <= 0 || l.Quantity > levels[l.ISBN].Available {
			return ReasonOutOfStock
		}
	}
	return ""
}

// AddBusinessDays returns the date n business days (Monday to Friday) after
// the date of t, in t's location; n <= 0 returns t's date.
func AddBusinessDays(t time.Time, n int) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d
}
