// Package billing is the bookshop's payment service: it charges an order's
// total once against a card gateway, refunds at most what was charged, and
// keeps a ledger of every attempt. It consumes ChargePayment and
// RefundPayment (routes.go), handles each in handlers.go, and stores its
// ledger through the Ledger interface (implemented in billing/sqlite).
package billing

import (
	"context"
	"errors"
	"time"
)

// Kind says whether a payment moved money to the shop or back.
type Kind string

// Payment kinds.
const (
	KindCharge Kind = "charge"
	KindRefund Kind = "refund"
)

// Status is the outcome of one attempt at the gateway. Only succeeded
// payments moved money.
type Status string

// Payment statuses.
const (
	StatusSucceeded Status = "succeeded"
	StatusDeclined  Status = "declined"
	StatusFailed    Status = "failed"
)

// Reasons recorded on payments and sent in PaymentDeclined.
const (
	ReasonInsufficientFunds = "insufficient_funds"
	ReasonCardDeclined      = "card_declined"
	ReasonInvalidToken      = "invalid_token"
	// ReasonOrderCancelled answers a charge that arrives after the order's
	// refund: the compensation ran first, so the charge must never happen.
	ReasonOrderCancelled = "order_cancelled"
	// ReasonNothingCharged marks a refund that found no charge: it moved
	// nothing and blocks any later charge of the order.
	ReasonNothingCharged = "nothing_charged"
	// ReasonNothingRequested marks a refund of 0 cents of a charged order.
	ReasonNothingRequested = "nothing_requested"
	// ReasonGatewayUnavailable and ReasonGatewayError mark failed attempts.
	ReasonGatewayUnavailable = "gateway_unavailable"
	ReasonGatewayError       = "gateway_error"
)

// Payment is one row of the ledger: one attempt to charge or refund an
// order. Token is the only card datum ever stored.
type Payment struct {
	ID          string
	OrderID     string
	Kind        Kind
	AmountCents int64
	Currency    string
	Status      Status
	Reason      string
	Token       string
	GatewayRef  string // the gateway's transaction id of a succeeded or declined attempt
	CommandID   string // the message that caused the attempt
	CreatedAt   time.Time
}

// Ledger stores payments inside the transaction of the message being
// handled. billing/sqlite implements it.
type Ledger interface {
	// OrderPayments returns every payment of the order, oldest first.
	OrderPayments(ctx context.Context, orderID string) ([]Payment, error)
	// Add records a payment. It fails on a second succeeded charge or
	// refund of an order and on a refund above what was charged.
	Add(ctx context.Context, p Payment) error
}

// ErrInvariant is wrapped by errors that mean billing's ledger and the
// gateway disagree, or a command contradicts the ledger: no retry fixes it.
var ErrInvariant = errors.New("billing invariant violated")
