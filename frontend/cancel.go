package frontend

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// ErrCannotCancel is wrapped by a *CancelRefusedError.
var ErrCannotCancel = errors.New("order cannot be cancelled")

// CancelRefusedError says why an order can no longer be cancelled.
type CancelRefusedError struct {
	OrderID string
	State   string
	Reason  string // for the customer
}

func (e *CancelRefusedError) Error() string {
	return fmt.Sprintf("cancel order %s in state %q: %s", e.OrderID, e.State, e.Reason)
}

func (e *CancelRefusedError) Unwrap() error { return ErrCannotCancel }

// MaxCancelReason is the longest cancel reason kept, in characters.
const MaxCancelReason = 500

// Cancel asks the saga to cancel order id on the customer's behalf: a
// CancelPurchase goes into the outbox with the request recorded, in one
// transaction. A second request while the first is carried out sends
// nothing more and succeeds. It fails with ErrOrderNotFound, or with a
// *CancelRefusedError once the delivery is confirmed or the order has ended.
func (s *Shop) Cancel(ctx context.Context, id, reason string) (Order, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxCancelReason {
		reason = string([]rune(reason)[:MaxCancelReason])
	}
	var o Order
	sent := false
	err := sqlite.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		if o, err = s.orders.Get(ctx, tx, id); err != nil {
			return err
		}
		if why := cancelRefusal(o); why != "" {
			return &CancelRefusedError{OrderID: id, State: o.State, Reason: why}
		}
		if !o.CancelRequestedAt.IsZero() {
			return nil // asked before: that request is being carried out
		}
		sent = true
		return s.requestCancel(ctx, tx, &o, reason)
	})
	var refused *CancelRefusedError
	switch {
	case errors.As(err, &refused):
		s.metrics.cancel("refused")
		return o, err
	case errors.Is(err, ErrOrderNotFound):
		s.metrics.cancel("not_found")
		return Order{}, err
	case err != nil:
		s.metrics.cancel("error")
		return Order{}, fmt.Errorf("cancel order %s: %w", id, err)
	}
	if !sent {
		s.metrics.cancel("repeated")
		return o, nil
	}
	s.notify()
	s.metrics.cancel("requested")
	s.log.Info("customer asked to cancel", "order_id", id, "state", o.State, "reason", reason)
	return o, nil
}

func (s *Shop) requestCancel(ctx context.Context, tx *sqlx.Tx, o *Order, reason string) error {
	now := s.now().UTC()
	if err := s.orders.RequestCancel(ctx, tx, o.ID, reason, now); err != nil {
		return err
	}
	env, err := msg.New(&msg.CancelPurchase{OrderID: o.ID, Reason: reason, RequestedBy: "customer"}, o.ID, "", now)
	if err != nil {
		return err
	}
	if err := outbox.Add(ctx, tx, env.To(msg.Orchestrator)); err != nil {
		return err
	}
	o.CancelRequestedAt, o.CancelReason = now, reason
	return nil
}
