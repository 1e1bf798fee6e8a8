package billing

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/retry"

	"github.com/jmoiron/sqlx"
)

// Billing consumes queue msg.Billing: ChargePayment and RefundPayment. Every
// other message type is dead-lettered. Its replies go to msg.Orchestrator.

// DefaultRetry is how often one command tries the gateway before its
// message is left for redelivery: 3 attempts, 50ms then 100ms apart.
var DefaultRetry = retry.Policy{Initial: 50 * time.Millisecond, Coefficient: 2, Max: 500 * time.Millisecond, MaxAttempts: 3}

// Deps are what a Service needs. Ledger and Gateway are required; the rest
// have defaults.
type Deps struct {
	Ledger  func(tx *sqlx.Tx) Ledger // the ledger inside a message's transaction
	Gateway Gateway
	Retry   retry.Policy                                     // attempts at the gateway per command; zero: DefaultRetry
	Sleep   func(ctx context.Context, d time.Duration) error // waits between attempts
	Now     func() time.Time
	NewID   func() string // ids of payments and replies; default msg.NewID
	Log     *slog.Logger
	Metrics *Metrics // default: unregistered metrics
}

// Service handles billing's commands.
type Service struct{ d Deps }

// New returns a Service, filling in the defaults of d.
func New(d Deps) *Service {
	if d.Retry == (retry.Policy{}) {
		d.Retry = DefaultRetry
	}
	if d.Retry.MaxAttempts < 1 { // never retry forever while holding the transaction
		d.Retry.MaxAttempts = DefaultRetry.MaxAttempts
	}
	if d.Sleep == nil {
		d.Sleep = sleep
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewID == nil {
		d.NewID = msg.NewID
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics, _ = NewMetrics(nil) // cannot fail without a registry
	}
	return &Service{d: d}
}

// Handle is billing's inbox.Handler: it runs inside the message's
// transaction, and what it returns goes to the outbox in that transaction.
func (s *Service) Handle(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	switch c := m.(type) {
	case *msg.ChargePayment:
		return s.charge(ctx, s.d.Ledger(tx), env, c)
	case *msg.RefundPayment:
		return s.refund(ctx, s.d.Ledger(tx), env, c)
	default:
		return nil, msg.Permanent(fmt.Errorf("billing does not handle %s (message %s)", env.Type, env.ID))
	}
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
