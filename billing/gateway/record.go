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

// The gateway's statements run under a context that is never cancelled:
// database/sql and go-sqlite3 watch a cancellable one on a goroutine per
// statement, and each takes microseconds. The caller's context still bounds
// the call's latency (call).

// do answers op once per idempotency key, in the gateway's own transaction:
// a key already recorded gets the recorded answer, whatever else op says.
// decide may read the record (a refund looks up its charge).
func (g *Gateway) do(ctx context.Context, op Operation, decide decider) (billing.GatewayResult, error) {
	ctx = context.WithoutCancel(ctx)
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
		_, err = tx.ExecContext(ctx, `INSERT INTO gateway_operations (`+opColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, op.args()...)
		return err
	})
	if err != nil {
		return billing.GatewayResult{}, fmt.Errorf("card gateway %s %s of order %s: %w", op.Kind, op.Key, op.OrderID, err)
	}
	return res, nil
}

// record answers op, already decided (its answer needs nothing from the
// record), once per idempotency key in one statement, committed by itself.
// A key already recorded gets the recorded answer and its call is counted,
// whatever else op says.
func (g *Gateway) record(ctx context.Context, op Operation) (billing.GatewayResult, error) {
	now := pkgsqlite.Time(g.o.Now())
	op.TransactionID, op.Calls, op.CreatedAt, op.LastCallAt = "txn_"+g.o.NewID(), 1, now, now
	fail := func(err error) (billing.GatewayResult, error) {
		return billing.GatewayResult{}, fmt.Errorf("card gateway %s %s of order %s: %w", op.Kind, op.Key, op.OrderID, err)
	}
	rows, err := g.db.QueryContext(context.WithoutCancel(ctx), `INSERT INTO gateway_operations (`+opColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (idempotency_key) DO UPDATE SET calls = calls + 1, last_call_at = excluded.last_call_at
		RETURNING transaction_id, approved, decline_reason, amount_cents, currency`, op.args()...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	var res billing.GatewayResult
	n := 0
	// Read to the end, not QueryRow: SQLite commits a statement that returns
	// rows when it is stepped past its last one, and runs the WAL's automatic
	// checkpoint only then. QueryRow stops after the first row and resets the
	// statement, which commits without the checkpoint: the gateway's WAL file
	// grew by ~19 KB a charge, without end (5 GB after 4 minutes at 1,000
	// orders/s), and every read of it slowed down.
	for rows.Next() {
		if err := rows.Scan(&res.TransactionID, &res.Approved, &res.DeclineReason, &res.AmountCents, &res.Currency); err != nil {
			return fail(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	if n != 1 {
		return fail(fmt.Errorf("upsert returned %d rows", n))
	}
	return res, nil
}

// args are op's columns in the order of opColumns.
func (o Operation) args() []any {
	return []any{o.Key, o.TransactionID, string(o.Kind), o.OrderID, o.Token, o.ChargeRef, o.AmountCents,
		o.Currency, o.Approved, o.DeclineReason, o.Calls, o.CreatedAt, o.LastCallAt}
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
