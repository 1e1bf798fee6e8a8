package frontend

import (
	"context"
	"fmt"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// orderStatusChanged brings the order view up to the event. Events arrive
// in any order and more than once: the view keeps the highest saga version
// and never goes back to an older one. It sends nothing.
func (s *Shop) orderStatusChanged(ctx context.Context, tx sqlx.ExtContext, env msg.Envelope, e msg.OrderStatusChanged) error {
	at := e.OccurredAt
	if at.IsZero() {
		at = s.now()
	}
	o := Order{
		ID:            e.OrderID,
		State:         e.State,
		Status:        CustomerStatus(e.State, e.FailureReason),
		Version:       e.Version,
		Event:         e.Event,
		FailureReason: e.FailureReason,
		ExpectedDate:  e.ExpectedDate,
		TrackingID:    e.TrackingID,
		TotalCents:    e.TotalCents,
		Currency:      e.Currency,
		CreatedAt:     at,
		UpdatedAt:     at,
	}
	applied, err := s.orders.Apply(ctx, tx, o)
	if err != nil {
		return fmt.Errorf("apply %s version %d to order %s: %w", env.Type, e.Version, e.OrderID, err)
	}
	s.metrics.statusEvent(applied)
	s.log.Info("order status event", "order_id", e.OrderID, "message_id", env.ID,
		"state", e.State, "version", e.Version, "applied", applied)
	return nil
}
