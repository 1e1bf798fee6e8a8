package billing_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"bookshop/billing"
	"bookshop/billing/gateway"
	bsqlite "bookshop/billing/sqlite"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

const order = "order-1"

// fixture is billing on real SQLite files: its database (with the inbox and
// outbox, as in production) and the gateway's own.
type fixture struct {
	db     *sqlx.DB
	gw     *gateway.Gateway
	svc    *billing.Service
	mu     sync.Mutex
	sleeps []time.Duration // waits between gateway attempts
}

// newFixture builds billing whose gateway draws rands in turn (then 0.99)
// and fails when a draw is below failureRate.
func newFixture(t *testing.T, failureRate float64, rands ...float64) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "billing.db"), sqlite.Options{},
		outbox.Migrations, inbox.Migrations, bsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := newClock()
	gw, err := gateway.Open(ctx, filepath.Join(dir, "gateway.db"), gateway.Options{
		FailureRate: failureRate, Rand: draws(rands), Now: clock.now, NewID: sequence("g"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	f := &fixture{db: db, gw: gw}
	f.svc = billing.New(billing.Deps{
		Ledger: bsqlite.NewLedger, Gateway: gw, Now: clock.now, NewID: sequence("id"),
		Sleep: func(_ context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			return nil
		},
	})
	return f
}

// handle runs one command through billing's handler in one transaction,
// committed unless the handler fails.
func (f *fixture) handle(t *testing.T, commandID string, m msg.Message) ([]msg.Outgoing, error) {
	t.Helper()
	env, err := msg.NewWithID(commandID, m, order, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var outs []msg.Outgoing
	err = sqlite.InTx(context.Background(), f.db, func(tx *sqlx.Tx) error {
		outs, err = f.svc.Handle(context.Background(), tx, env, m)
		return err
	})
	return outs, err
}

// ledgerRow is what the tests compare of a payment.
type ledgerRow struct {
	Kind   billing.Kind
	Status billing.Status
	Amount int64
	Reason string
	Token  string
}

func (f *fixture) ledger(t *testing.T) []ledgerRow {
	t.Helper()
	ps, err := bsqlite.Payments{DB: f.db}.List(context.Background(), order, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []ledgerRow
	for _, p := range ps {
		out = append(out, ledgerRow{p.Kind, p.Status, p.AmountCents, p.Reason, p.Token})
	}
	return out
}

// gatewayRow is what the tests compare of the gateway's record.
type gatewayRow struct {
	Key      string
	Approved bool
	Reason   string
	Amount   int64
	Calls    int
}

func (f *fixture) gateway(t *testing.T) []gatewayRow {
	t.Helper()
	ops, err := f.gw.Operations(context.Background(), order)
	if err != nil {
		t.Fatal(err)
	}
	var out []gatewayRow
	for _, o := range ops {
		out = append(out, gatewayRow{o.Key, o.Approved, o.DeclineReason, o.AmountCents, o.Calls})
	}
	return out
}

// reply decodes the single reply in outs and checks its addressing.
func reply(t *testing.T, commandID string, outs []msg.Outgoing) msg.Message {
	t.Helper()
	if len(outs) != 1 {
		t.Fatalf("replies to %s: got %d, want 1", commandID, len(outs))
	}
	o := outs[0]
	if o.To != msg.Orchestrator || o.Envelope.CausationID != commandID || o.Envelope.CorrelationID != order {
		t.Fatalf("reply to %s addressed to %q, caused by %q, correlated to %q", commandID,
			o.To, o.Envelope.CausationID, o.Envelope.CorrelationID)
	}
	body, err := o.Envelope.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := msg.Decode(body)
	if err != nil {
		t.Fatalf("decode reply to %s: %v", commandID, err)
	}
	return m
}

func charge(token string) *msg.ChargePayment {
	return &msg.ChargePayment{OrderID: order, AmountCents: 1250, Currency: "GBP", PaymentToken: token}
}

func refund(amount int64) *msg.RefundPayment {
	return &msg.RefundPayment{OrderID: order, AmountCents: amount, Currency: "GBP"}
}

// clock advances a second on every reading, so that rows have distinct times.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func sequence(prefix string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%s-%03d", prefix, n)
	}
}

func draws(rs []float64) func() float64 {
	var mu sync.Mutex
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		if len(rs) == 0 {
			return 0.99
		}
		r := rs[0]
		rs = rs[1:]
		return r
	}
}
