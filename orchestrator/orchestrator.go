// Package orchestrator runs bookshop's purchase saga: one persistent state
// machine per order, advanced by the workers' replies, retried on timeouts and
// compensated when a step fails for good. saga.go holds the whole saga as one
// table; this package's engine knows nothing about books.
package orchestrator

import (
	"errors"
	"time"

	"bookshop/pkg/msg"
)

// Data is what the saga knows about its order, stored as JSON in its row.
type Data struct {
	OrderID         string       `json:"order_id"`
	Customer        msg.Customer `json:"customer"`
	Items           []msg.Item   `json:"items"`
	TotalCents      int64        `json:"total_cents"`
	Currency        string       `json:"currency"`
	PaymentToken    string       `json:"payment_token"` // a token, never card data
	ShippingAddress msg.Address  `json:"shipping_address"`
	PlacedAt        time.Time    `json:"placed_at"`

	PaymentID     string `json:"payment_id,omitempty"`
	ChargedCents  int64  `json:"charged_cents,omitempty"`
	RefundedCents int64  `json:"refunded_cents,omitempty"`
	ShipmentID    string `json:"shipment_id,omitempty"`
	TrackingID    string `json:"tracking_id,omitempty"`
	ExpectedDate  string `json:"expected_date,omitempty"`
	FailureReason string `json:"failure_reason,omitempty"`
	CancelledBy   string `json:"cancelled_by,omitempty"`
}

// Saga is one order's saga row.
type Saga struct {
	ID                string
	DefinitionVersion int
	State             string
	Step              string // the step in progress; in Stuck, the step it remembers
	Attempts          int    // sends of the current step's command
	CommandID         string // the current step's command id, kept across resends
	Deadline          *time.Time
	StuckSince        *time.Time
	LastError         string
	Version           int64 // grows by one on every change
	Data              Data
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// HistoryEntry is one line of a saga's timeline.
type HistoryEntry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Event     string    `json:"event"` // a saga event, or started, command, timeout, ignored
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	By        string    `json:"by,omitempty"`     // an operator's action: who
	Reason    string    `json:"reason,omitempty"` // and why
}

// Effects are what a decision produces, to be committed together with the
// saga row: its timeline entries and the messages it sends.
type Effects struct {
	History  []HistoryEntry
	Outgoing []msg.Outgoing
}

func (e *Effects) add(o Effects) {
	e.History = append(e.History, o.History...)
	e.Outgoing = append(e.Outgoing, o.Outgoing...)
}

var (
	// ErrOutOfOrder is an event the saga's state has no row for: a late or
	// duplicate reply. It is recorded and acknowledged, never a failure.
	ErrOutOfOrder = errors.New("event not allowed in this state")
	// ErrNotFound is an order without a saga.
	ErrNotFound = errors.New("saga not found")
	// ErrConflict is a saga changed by someone else since it was read.
	ErrConflict = errors.New("saga changed concurrently")
	// ErrUnknownDefinition: the saga started under a version of the saga
	// table this orchestrator does not run (a newer one, after a rollback).
	ErrUnknownDefinition = errors.New("saga started under a definition this orchestrator does not know")
)
