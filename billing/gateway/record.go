package gateway

import (
	"context"
	"errors"
	"fmt"

	"bookshop/billing"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// Operation is one row of the gateway's record: the first answer given to
// an idempotency key, and how often the key was called.
type Operation struct {
	Key           string       `db:"idempotency_key"`
	TransactionID string       `db:"transaction_id"`
	Kind          billing.Kind `db:"kind"`
	OrderID       string       `db:"order_id"`
	Token         string       `db:"token"`
	ChargeRef     string       `db:"charge_ref"`
	AmountCents   int64        `db:"amount_cents"`
	Currency      string       `db:"currency"`
	Approved      bool         `db:"approved"`
	DeclineReason string       `db:"decline_reason"`
	Calls         int          `db:"calls"`
	CreatedAt     string       `db:"created_at"`
	LastCallAt    string       `db:"last_call_at"`
}

func (o Operation) result() billing.GatewayResult {
	return billing.GatewayResult{TransactionID: o.TransactionID, Approved: o.Approved,
		DeclineReason: o.DeclineReason, AmountCents: o.AmountCents, Currency: o.Currency}
}

const opColumns = `idempotency_key, transaction_id, kind, order_id, token, charge_ref, amount_cents,
	currency, approved, decline_reason, calls, created_at, last_call_at`

// decider answers a new operation inside the gateway's transaction.
type decider func(ctx context.Context, tx *sqlx.Tx) (approved bool, reason string, err error)

// do answers op once per idempotency key, in the gateway's own transaction:
// a key already recorded gets the recorded answer, whatever else op says.
func (g *Gateway) do(ctx context.Context, op Operation, decide decider) (billing.GatewayResult, error) {
	if err := g.call(ctx, op); err != nil {
		return billing.GatewayResult{}, err
	}
	now := pkgsqlite.Time(g.o.Now())
	var res billing.GatewayResult
	err := pkgsqlite.InTx(ctx, g.db, func(tx *sqlx.Tx) error {
		var prev Operation
		err := tx.GetContext(ctx, &prev, `SELECT `+opColumns+` FROM gateway_operations WHERE idempotency_key = ?`, op.Key)
		switch {
		case err == nil:
			res = prev.result()
			_, err = tx.ExecContext(ctx, `UPDATE gateway_operations SET calls = calls + 1, last_call_at = ?
				WHERE idempotency_key = ?`, now, op.Key)
			return err
		case !errors.Is(err, pkgsqlite.ErrNoRows):
			return err
		}
		if op.Approved, op.DeclineReason, err = decide(ctx, tx); err != nil {
			return err
		}
		op.TransactionID, op.Calls, op.CreatedAt, op.LastCallAt = "txn_"+g.o.NewID(), 1, now, now
		res = op.result()
		_, err = tx.NamedExecContext(ctx, `INSERT INTO gateway_operations (`+opColumns+`) VALUES (
			:idempotency_key, :transaction_id, :kind, :order_id, :token, :charge_ref, :amount_cents,
			:currency, :approved, :decline_reason, :calls, :created_at, :last_call_at)`, op)
		return err
	})
	if err != nil {
		return billing.GatewayResult{}, fmt.Errorf("card gateway %s %s of order %s: %w", op.Kind, op.Key, op.OrderID, err)
	}
	return res, nil
}

// decideRefund approves a refund of an approved charge of the same order
// and currency, up to what is left of it.
func decideRefund(ctx context.Context, tx *sqlx.Tx, r Operation) (bool, string, error) {
	var charge Operation
	err := tx.GetContext(ctx, &charge, `SELECT `+opColumns+` FROM gateway_operations
		WHERE transaction_id = ? AND kind = 'charge' AND approved AND order_id = ?`, r.ChargeRef, r.OrderID)
	if errors.Is(err, pkgsqlite.ErrNoRows) {
		return false, ReasonNoSuchCharge, nil
	}
	if err != nil {
		return false, "", fmt.Errorf("look up charge %s: %w", r.ChargeRef, err)
	}
	if charge.Currency != r.Currency {
		return false, ReasonWrongCurrency, nil
	}
	var refunded int64
	err = tx.GetContext(ctx, &refunded, `SELECT coalesce(sum(amount_cents), 0) FROM gateway_operations
		WHERE charge_ref = ? AND kind = 'refund' AND approved`, r.ChargeRef)
	if err != nil {
		return false, "", fmt.Errorf("sum refunds of charge %s: %w", r.ChargeRef, err)
	}
	if r.AmountCents > charge.AmountCents-refunded {
		return false, ReasonAboveCharge, nil
	}
	return true, "", nil
}

// Operations returns the gateway's record of an order, oldest first; for
// operators and tests.
func (g *Gateway) Operations(ctx context.Context, orderID string) ([]Operation, error) {
	var ops []Operation
	err := g.db.SelectContext(ctx, &ops, `SELECT `+opColumns+` FROM gateway_operations
		WHERE order_id = ? ORDER BY created_at, transaction_id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("card gateway operations of order %s: %w", orderID, err)
	}
	return ops, nil
}

// ensure the interface holds.
var _ billing.Gateway = (*Gateway)(nil)
