package billing

import (
	"context"
	"errors"
)

// Gateway is the card processor. It is a separate system with its own
// records: each operation carries an idempotency key, and a second call with
// the same key returns the first result without moving money again. That is
// what makes a crash between the gateway's charge and billing's commit safe.
type Gateway interface {
	Charge(ctx context.Context, r ChargeRequest) (GatewayResult, error)
	Refund(ctx context.Context, r RefundRequest) (GatewayResult, error)
}

// ChargeRequest asks the gateway to take AmountCents from the card behind Token.
type ChargeRequest struct {
	IdempotencyKey string
	OrderID        string
	Token          string
	AmountCents    int64
	Currency       string
}

// RefundRequest asks the gateway to give back AmountCents of the charge ChargeRef.
type RefundRequest struct {
	IdempotencyKey string
	OrderID        string
	ChargeRef      string // the charge's TransactionID
	AmountCents    int64
	Currency       string
}

// GatewayResult is the gateway's answer. A decline is an answer, not an error.
type GatewayResult struct {
	TransactionID string
	Approved      bool
	DeclineReason string
	AmountCents   int64
	Currency      string
}

// ErrGatewayUnavailable is wrapped by a gateway error that is worth retrying
// (a real processor's 5xx or timeout): the operation may be tried again with
// the same idempotency key.
var ErrGatewayUnavailable = errors.New("card gateway unavailable")

// ChargeKey is the idempotency key of an order's charge: one per order.
func ChargeKey(orderID string) string { return "charge:" + orderID }

// RefundKey is the idempotency key of an order's refund: one per order.
func RefundKey(orderID string) string { return "refund:" + orderID }
