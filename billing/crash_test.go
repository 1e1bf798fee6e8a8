package billing_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

// TestCrashBetweenGatewayAndCommit: the gateway charged, then billing's
// transaction rolled back (as a crash before the commit would). The command
// comes again; the gateway answers from its record by idempotency key, so the
// card is charged once and billing records one succeeded charge.
func TestCrashBetweenGatewayAndCommit(t *testing.T) {
	f := newFixture(t, 0)
	errCrash := errors.New("crash before commit")
	crashes := 1
	p := &inbox.Processor{DB: f.db, Duplicates: inbox.Resend, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handle: func(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
			outs, err := f.svc.Handle(ctx, tx, env, m)
			if err == nil && crashes > 0 {
				crashes--
				return nil, errCrash
			}
			return outs, err
		}}
	env, err := msg.NewWithID("cmd-charge", charge("tok_visa"), order, "saga-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	handle := func() error { return p.HandleBatch(context.Background(), [][]byte{body})[0] }

	if err := handle(); !errors.Is(err, errCrash) || msg.IsPermanent(err) {
		t.Fatalf("first handling: got %v, want the transient crash", err)
	}
	if got := f.ledger(t); len(got) != 0 {
		t.Fatalf("ledger after the rollback: %v, want nothing", got)
	}
	if diff := cmp.Diff([]gatewayRow{visaAtGateway}, f.gateway(t)); diff != "" {
		t.Fatalf("gateway after the crash (-want +got):\n%s", diff)
	}

	for i := range 2 { // the redelivery, then a duplicate answered from the inbox
		if err := handle(); err != nil {
			t.Fatalf("handling %d after the crash: %v", i+1, err)
		}
	}
	if diff := cmp.Diff([]ledgerRow{visaCharge}, f.ledger(t)); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	charged := visaAtGateway
	charged.Calls = 2 // the crashed call and the redelivery; the inbox answered the duplicate
	if diff := cmp.Diff([]gatewayRow{charged}, f.gateway(t)); diff != "" {
		t.Errorf("gateway record (-want +got):\n%s", diff)
	}
	checkReplies(t, f.db)
}

// checkReplies: the two replies in the outbox are one message sent twice, a
// PaymentCharged of the charge that billing recorded with the gateway's
// transaction id.
func checkReplies(t *testing.T, db *sqlx.DB) {
	t.Helper()
	var bodies [][]byte
	if err := db.Select(&bodies, `SELECT body FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 {
		t.Fatalf("replies in the outbox: %d, want 2", len(bodies))
	}
	var ids []string
	var charge *msg.PaymentCharged
	for _, b := range bodies {
		env, m, err := msg.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, env.ID)
		charge, _ = m.(*msg.PaymentCharged)
	}
	if ids[0] != ids[1] || charge == nil {
		t.Fatalf("replies %v (last %T), want one PaymentCharged twice", ids, charge)
	}
	var ref string
	if err := db.Get(&ref, `SELECT gateway_ref FROM payments WHERE id = ? AND status = 'succeeded'`, charge.PaymentID); err != nil {
		t.Fatalf("charge %s in the ledger: %v", charge.PaymentID, err)
	}
	if ref != "txn_g-001" {
		t.Errorf("charge's gateway_ref %q, want the gateway's only transaction txn_g-001", ref)
	}
}
