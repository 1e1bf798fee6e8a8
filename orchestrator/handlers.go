package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Store keeps sagas and their timelines; orchestrator/sqlite implements it.
type Store interface {
	Get(ctx context.Context, tx *sqlx.Tx, id string) (*Saga, error) // ErrNotFound
	Create(ctx context.Context, tx *sqlx.Tx, s *Saga, h []HistoryEntry) error
	// Save writes s if its stored version is still prevVersion (else ErrConflict).
	Save(ctx context.Context, tx *sqlx.Tx, s *Saga, prevVersion int64, h []HistoryEntry) error
	AddHistory(ctx context.Context, tx *sqlx.Tx, id string, h []HistoryEntry) error
	// Overdue lists sagas whose step deadline has passed, oldest first.
	Overdue(ctx context.Context, tx *sqlx.Tx, now time.Time, limit int) ([]string, error)
}

// Observer is told about what the saga does, for metrics. Any field may be nil.
type Observer struct {
	Transition func(from, to, event string)
	Retry      func(step string)
	Ignored    func(event, state string)
}

// Orchestrator handles the messages on the orchestrator queue and the
// scanner's timeouts, each in the caller's transaction.
type Orchestrator struct {
	Engine   *Engine
	Store    Store
	Log      *slog.Logger
	Now      func() time.Time
	Observer Observer
}

// Handle is the orchestrator's inbox handler.
func (o *Orchestrator) Handle(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	switch m := m.(type) {
	case *msg.StartPurchase:
		return o.start(ctx, tx, env, m)
	case *msg.CancelPurchase:
		return o.fire(ctx, tx, env, EvCancel, func(d *Data) {
			d.CancelledBy = m.RequestedBy
			d.FailureReason = "cancelled_by_" + or(m.RequestedBy, "customer")
		})
	}
	event, apply, ok := replyEvent(m)
	if !ok {
		return nil, msg.Permanent(fmt.Errorf("the orchestrator does not handle %s", env.Type))
	}
	return o.fire(ctx, tx, env, event, apply)
}

func (o *Orchestrator) start(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m *msg.StartPurchase) ([]msg.Outgoing, error) {
	if _, err := o.Store.Get(ctx, tx, m.OrderID); err == nil {
		o.Log.Info("order already started", "order_id", m.OrderID, "message_id", env.ID)
		return nil, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	s, eff, err := o.Engine.Start(Data{
		OrderID: m.OrderID, Customer: m.Customer, Items: m.Items, TotalCents: m.TotalCents,
		Currency: m.Currency, PaymentToken: m.PaymentToken, ShippingAddress: m.ShippingAddress, PlacedAt: m.PlacedAt,
	}, env.ID, o.Now())
	if err != nil {
		return nil, msg.Permanent(err)
	}
	if err := o.Store.Create(ctx, tx, s, eff.History); err != nil {
		return nil, err
	}
	o.observe("", s.State, "started")
	o.Log.Info("saga started", "order_id", s.ID, "state", s.State)
	return eff.Outgoing, nil
}

// fire applies event to the order's saga. An out-of-order event is recorded
// in the timeline and acknowledged.
func (o *Orchestrator) fire(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, event string, apply func(*Data)) ([]msg.Outgoing, error) {
	s, err := o.Store.Get(ctx, tx, env.CorrelationID)
	if errors.Is(err, ErrNotFound) && event == EvCancel {
		// The cancel overtook its StartPurchase (a redelivery reorders
		// them): try again later; past the delivery limit it dead-letters.
		return nil, fmt.Errorf("cancel order %s before its saga started: %w", env.CorrelationID, err)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, msg.Permanent(fmt.Errorf("%s for order %s: %w", env.Type, env.CorrelationID, err))
	}
	if err != nil {
		return nil, err
	}
	from, prev, now := s.State, s.Version, o.Now()
	eff, err := o.Engine.Fire(ctx, s, event, env.ID, apply, now)
	if errors.Is(err, ErrOutOfOrder) {
		o.Log.Info("out-of-order event ignored", "order_id", s.ID, "event", event, "state", s.State, "message_id", env.ID)
		if o.Observer.Ignored != nil {
			o.Observer.Ignored(event, s.State)
		}
		return nil, o.Store.AddHistory(ctx, tx, s.ID, []HistoryEntry{{At: now, Event: "ignored", From: s.State,
			MessageID: env.ID, Detail: fmt.Sprintf("%s (%s) not allowed in %s", event, env.Type, s.State)}})
	}
	if errors.Is(err, ErrUnknownDefinition) {
		// To the dead-letter queue with the reason, to be replayed once
		// the orchestrator that knows the saga's table runs again.
		return nil, msg.Permanent(err)
	}
	if err != nil {
		return nil, err
	}
	if err := o.Store.Save(ctx, tx, s, prev, eff.History); err != nil {
		return nil, err
	}
	o.observe(from, s.State, event)
	o.Log.Info("saga advanced", "order_id", s.ID, "event", event, "from", from, "to", s.State)
	return eff.Outgoing, nil
}

// replyEvent maps a worker's reply to the saga event it fires and the data
// it records.
func replyEvent(m msg.Message) (string, func(*Data), bool) {
	switch m := m.(type) {
	case *msg.PaymentCharged:
		return EvCharged, func(d *Data) { d.PaymentID, d.ChargedCents = m.PaymentID, m.AmountCents }, true
	case *msg.PaymentDeclined:
		return EvPaymentDeclined, func(d *Data) { d.FailureReason = m.Reason }, true
	case *msg.DeliveryScheduled:
		return EvScheduled, func(d *Data) {
			d.ShipmentID, d.TrackingID, d.ExpectedDate = m.ShipmentID, m.TrackingID, m.ExpectedDate
		}, true
	case *msg.DeliveryFailed:
		return EvDeliveryFailed, func(d *Data) { d.FailureReason = m.Reason }, true
	case *msg.DeliveryCancelled:
		return EvDeliveryCancelled, nil, true
	case *msg.PaymentRefunded:
		return EvRefunded, func(d *Data) { d.RefundedCents = m.AmountCents }, true
	case *msg.EmailSent:
		event, ok := map[string]string{
			msg.TemplateOrderConfirmed:  EvConfirmationSent,
			msg.TemplatePaymentDeclined: EvDeclineNoticeSent,
			msg.TemplateOrderCancelled:  EvCancellationSent,
		}[m.Template]
		return event, nil, ok
	}
	return "", nil, false
}

func (o *Orchestrator) observe(from, to, event string) {
	if o.Observer.Transition != nil {
		o.Observer.Transition(from, to, event)
	}
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
