package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/pkg/msg"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// TestSagaOfAnotherDefinitionIsLeftAlone: a saga started under a table this
// orchestrator does not run (a newer one, before a rollback) is moved by
// nothing here: a reply is dead-lettered with the reason, the scanner
// passes it over, and an operator's action is refused.
func TestSagaOfAnotherDefinitionIsLeftAlone(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.send(start, "start-1")
	h.db.MustExec(`UPDATE sagas SET definition_version = ? WHERE id = 'ord-1'`, orchestrator.DefinitionVersion+1)
	before := h.saga()

	env, err := msg.NewWithID("reply-1", &msg.PaymentCharged{OrderID: "ord-1", PaymentID: "pay-1",
		AmountCents: 9500, Currency: "EUR"}, "ord-1", "", h.now)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := env.Marshal()
	err = h.proc.HandleBatch(ctx, [][]byte{body})[0]
	if !msg.IsPermanent(err) || !errors.Is(err, orchestrator.ErrUnknownDefinition) {
		t.Errorf("reply to a saga of another definition: %v, want a permanent ErrUnknownDefinition", err)
	}

	h.now = h.now.Add(time.Hour) // long overdue
	if n, err := h.scanner.ScanOnce(ctx); err != nil || n != 0 {
		t.Errorf("scan: %d sagas, %v; want 0, nil", n, err)
	}

	err = pkgsqlite.InTx(ctx, h.db, func(tx *sqlx.Tx) error {
		_, _, err := h.scanner.O.Act(ctx, tx, "ord-1", orchestrator.Action{Event: orchestrator.EvRetry,
			By: "op", Reason: "try", ID: "act-1"})
		return err
	})
	var refused *orchestrator.RefusedError
	if !errors.As(err, &refused) {
		t.Errorf("operator retry: %v, want a refusal", err)
	}

	after := h.saga()
	if after.State != before.State || after.Version != before.Version || after.Attempts != before.Attempts {
		t.Errorf("saga moved: %s v%d attempts %d, was %s v%d attempts %d", after.State, after.Version,
			after.Attempts, before.State, before.Version, before.Attempts)
	}
}
