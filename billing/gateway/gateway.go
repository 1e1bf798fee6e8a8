// Package gateway is billing's simulated card processor. It stands for a
// separate system: it keeps its own record in its own SQLite file, committed
// independently of billing's transaction, and honours an idempotency key per
// operation, so that a call repeated after a crash moves no money again.
// Test tokens decide its answers (see Decide); Options add latency and
// transient failures.
package gateway

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"time"

	"bookshop/billing"
	"bookshop/pkg/msg"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates the gateway's tables in its own database.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Decline reasons of refunds that contradict the gateway's record.
const (
	ReasonNoSuchCharge  = "no_such_charge"
	ReasonAboveCharge   = "amount_above_charge"
	ReasonWrongCurrency = "currency_mismatch"
)

// Decide is the gateway's answer to a charge of token: the contract's test
// tokens.
func Decide(token string) (approved bool, reason string) {
	switch token {
	case "tok_visa", "tok_mastercard":
		return true, ""
	case "tok_insufficient_funds":
		return false, billing.ReasonInsufficientFunds
	case "tok_card_declined":
		return false, billing.ReasonCardDeclined
	default:
		return false, billing.ReasonInvalidToken
	}
}

// Options tune the gateway. The zero value is a fast, reliable gateway.
type Options struct {
	Latency     time.Duration // added to every call
	FailureRate float64       // 0..1: share of calls failing with billing.ErrGatewayUnavailable
	Synchronous string        // the SQLite synchronous pragma of its file; default FULL

	Rand  func() float64 // in [0,1); default math/rand/v2
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	NewID func() string // transaction ids get the prefix txn_
}

// Gateway is the simulated processor.
type Gateway struct {
	db *sqlx.DB
	o  Options
}

// Open opens (creating) the gateway's database at path.
func Open(ctx context.Context, path string, o Options) (*Gateway, error) {
	if o.Latency < 0 {
		return nil, fmt.Errorf("open card gateway: latency %v is negative", o.Latency)
	}
	if math.IsNaN(o.FailureRate) || o.FailureRate < 0 || o.FailureRate > 1 {
		return nil, fmt.Errorf("open card gateway: failure rate %v is not between 0 and 1", o.FailureRate)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = msg.NewID
	}
	db, err := pkgsqlite.Open(ctx, path, pkgsqlite.Options{Synchronous: o.Synchronous}, Migrations)
	if err != nil {
		return nil, fmt.Errorf("open card gateway: %w", err)
	}
	return &Gateway{db: db, o: o}, nil
}

// Close closes the gateway's database.
func (g *Gateway) Close() error { return g.db.Close() }

// Charge takes the amount from the card behind the token, once per key.
// Its answer depends on the token alone, so one statement records it: an
// insert that, on a key already recorded, counts the call and returns the
// recorded answer instead. Committed on its own (autocommit) before Charge
// returns, like a transaction of do, at a quarter of its statements.
func (g *Gateway) Charge(ctx context.Context, r billing.ChargeRequest) (billing.GatewayResult, error) {
	op := Operation{Key: r.IdempotencyKey, Kind: billing.KindCharge, OrderID: r.OrderID,
		Token: r.Token, AmountCents: r.AmountCents, Currency: r.Currency}
	if err := g.call(ctx, op); err != nil {
		return billing.GatewayResult{}, err
	}
	op.Approved, op.DeclineReason = Decide(r.Token)
	return g.record(ctx, op)
}

// Refund gives back part or all of a charge it approved, once per key.
func (g *Gateway) Refund(ctx context.Context, r billing.RefundRequest) (billing.GatewayResult, error) {
	op := Operation{Key: r.IdempotencyKey, Kind: billing.KindRefund, OrderID: r.OrderID,
		ChargeRef: r.ChargeRef, AmountCents: r.AmountCents, Currency: r.Currency}
	if err := g.call(ctx, op); err != nil {
		return billing.GatewayResult{}, err
	}
	return g.do(ctx, op, func(ctx context.Context, tx *sqlx.Tx) (bool, string, error) {
		return decideRefund(ctx, tx, op)
	})
}

// call is what every call pays: latency, then perhaps a transient failure.
func (g *Gateway) call(ctx context.Context, op Operation) error {
	if g.o.Latency > 0 {
		if err := g.o.Sleep(ctx, g.o.Latency); err != nil {
			return fmt.Errorf("card gateway %s %s: %w", op.Kind, op.Key, err)
		}
	}
	if g.o.FailureRate > 0 && g.o.Rand() < g.o.FailureRate {
		return fmt.Errorf("card gateway %s %s: simulated 503: %w", op.Kind, op.Key, billing.ErrGatewayUnavailable)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
