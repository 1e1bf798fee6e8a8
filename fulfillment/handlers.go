package fulfillment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Deps is what a Fulfillment is built from.
type Deps struct {
	Store        func(tx *sqlx.Tx) Store // storage bound to the handler's transaction
	BusinessDays int                     // days from scheduling to the expected delivery
	Log          *slog.Logger
	Metrics      *Metrics         // may be nil
	Now          func() time.Time // may be nil: time.Now
	Random       func() uint64    // tracking ids; may be nil: math/rand/v2
	NewID        func() string    // shipment ids; may be nil: msg.NewID
}

// Fulfillment handles the delivery commands of the purchase saga.
type Fulfillment struct{ Deps }

// New returns a Fulfillment, filling in the optional dependencies.
func New(d Deps) *Fulfillment {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Random == nil {
		d.Random = rand.Uint64
	}
	if d.NewID == nil {
		d.NewID = msg.NewID
	}
	return &Fulfillment{Deps: d}
}

// scheduleDelivery answers in the order of dtm's barrier: a cancelled order
// is never acted on, an order that already has a shipment gets that shipment
// again, and only then is a new one considered.
func (f *Fulfillment) scheduleDelivery(ctx context.Context, st Store, env msg.Envelope, m *msg.ScheduleDelivery) ([]msg.Outgoing, error) {
	log := f.Log.With("order_id", m.OrderID, "message_id", env.ID)
	cancelled, err := st.Cancelled(ctx, m.OrderID)
	if err != nil {
		return nil, fmt.Errorf("schedule delivery of order %s: %w", m.OrderID, err)
	}
	existing, err := st.ShipmentByOrder(ctx, m.OrderID)
	switch {
	case err != nil && !errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("schedule delivery of order %s: %w", m.OrderID, err)
	case cancelled || existing.Status == StatusCancelled:
		log.Info("delivery not scheduled: the order was cancelled")
		return f.failed(env, m.OrderID, ReasonOrderCancelled)
	case err == nil:
		log.Info("delivery already scheduled", "shipment_id", existing.ID)
		f.Metrics.observe("already_scheduled")
		return f.scheduled(env, existing)
	}
	return f.scheduleNew(ctx, st, log, env, m)
}

// scheduleNew reserves every line of the order or none.
func (f *Fulfillment) scheduleNew(ctx context.Context, st Store, log *slog.Logger, env msg.Envelope, m *msg.ScheduleDelivery) ([]msg.Outgoing, error) {
	lines := make([]Line, len(m.Items))
	for i, it := range m.Items {
		lines[i] = Line{ISBN: it.ISBN, Quantity: it.Quantity}
	}
	lines = MergeLines(lines)
	levels, err := st.StockOf(ctx, isbns(lines))
	if err != nil {
		return nil, fmt.Errorf("schedule delivery of order %s: %w", m.OrderID, err)
	}
	if reason := CheckStock(levels, lines); reason != "" {
		log.Info("delivery failed", "reason", reason)
		return f.failed(env, m.OrderID, reason)
	}
	s, err := f.createShipment(ctx, st, m, lines)
	if err != nil {
		return nil, fmt.Errorf("schedule delivery of order %s: %w", m.OrderID, err)
	}
	log.Info("delivery scheduled", "shipment_id", s.ID, "tracking_id", s.TrackingID, "expected_date", s.ExpectedDate)
	f.Metrics.observe("scheduled")
	return f.scheduled(env, s)
}

// createShipment reserves the lines and stores the order's shipment.
func (f *Fulfillment) createShipment(ctx context.Context, st Store, m *msg.ScheduleDelivery, lines []Line) (Shipment, error) {
	address, err := json.Marshal(m.ShippingAddress)
	if err != nil {
		return Shipment{}, fmt.Errorf("encode shipping address: %w", err)
	}
	tracking, err := f.trackingID(ctx, st)
	if err != nil {
		return Shipment{}, err
	}
	now := f.Now()
	s := Shipment{
		ID:           f.NewID(),
		OrderID:      m.OrderID,
		Status:       StatusScheduled,
		ExpectedDate: AddBusinessDays(now.UTC(), f.BusinessDays).Format(DateFormat),
		TrackingID:   tracking,
		Address:      string(address),
		CreatedAt:    now,
		Lines:        lines,
	}
	if err := st.Reserve(ctx, lines); err != nil {
		return Shipment{}, err
	}
	if err := st.CreateShipment(ctx, s); err != nil {
		return Shipment{}, err
	}
	return s, nil
}

// trackingID draws "BK" and 10 digits until it finds one no shipment has.
func (f *Fulfillment) trackingID(ctx context.Context, st Store) (string, error) {
	const tries = 10
	for range tries {
		id := fmt.Sprintf("BK%010d", f.Random()%10_000_000_000)
		taken, err := st.TrackingIDTaken(ctx, id)
		if err != nil {
			return "", err
		}
		if !taken {
			return id, nil
		}
	}
	return "", fmt.Errorf("draw a tracking id: all %d tries were taken", tries)
}

// cancelDelivery releases the order's stock, if it holds any, and records the
// cancellation so that a ScheduleDelivery arriving later is not acted on.
func (f *Fulfillment) cancelDelivery(ctx context.Context, st Store, env msg.Envelope, m *msg.CancelDelivery) ([]msg.Outgoing, error) {
	log := f.Log.With("order_id", m.OrderID, "message_id", env.ID)
	s, err := st.ShipmentByOrder(ctx, m.OrderID)
	switch {
	case errors.Is(err, ErrNotFound):
		log.Info("delivery cancel: nothing was scheduled; later schedules are blocked")
		f.Metrics.observe("cancel_noop")
	case err != nil:
		return nil, fmt.Errorf("cancel delivery of order %s: %w", m.OrderID, err)
	case s.Status == StatusScheduled:
		if err := f.cancelShipment(ctx, st, s); err != nil {
			return nil, fmt.Errorf("cancel delivery of order %s: %w", m.OrderID, err)
		}
		log.Info("delivery cancelled, stock released", "shipment_id", s.ID)
		f.Metrics.observe("cancelled")
	default:
		log.Info("delivery cancel: already cancelled", "shipment_id", s.ID)
		f.Metrics.observe("cancel_noop")
	}
	if err := st.RecordCancellation(ctx, m.OrderID, f.Now()); err != nil {
		return nil, fmt.Errorf("cancel delivery of order %s: %w", m.OrderID, err)
	}
	return f.reply(env, m.OrderID, &msg.DeliveryCancelled{OrderID: m.OrderID, ShipmentID: s.ID})
}

func (f *Fulfillment) cancelShipment(ctx context.Context, st Store, s Shipment) error {
	if err := st.Release(ctx, s.Lines); err != nil {
		return err
	}
	return st.CancelShipment(ctx, s.ID, f.Now())
}

func (f *Fulfillment) scheduled(env msg.Envelope, s Shipment) ([]msg.Outgoing, error) {
	return f.reply(env, s.OrderID, &msg.DeliveryScheduled{
		OrderID: s.OrderID, ShipmentID: s.ID, TrackingID: s.TrackingID, ExpectedDate: s.ExpectedDate})
}

func (f *Fulfillment) failed(env msg.Envelope, orderID, reason string) ([]msg.Outgoing, error) {
	f.Metrics.observe(reason)
	return f.reply(env, orderID, &msg.DeliveryFailed{OrderID: orderID, Reason: reason})
}

// reply addresses m to the orchestrator, caused by env.
func (f *Fulfillment) reply(env msg.Envelope, orderID string, m msg.Message) ([]msg.Outgoing, error) {
	out, err := msg.New(m, orderID, env.ID, f.Now())
	if err != nil {
		return nil, err
	}
	return []msg.Outgoing{out.To(msg.Orchestrator)}, nil
}

func isbns(lines []Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.ISBN
	}
	return out
}
