package e2e_test

import (
	"context"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/msg"
)

// A customer's cancel, and the design's compensation rules: a compensation
// for an action never seen succeeds as a no-op and blocks that action from
// happening later. The action's command is lost on purpose (its queue
// purged while the worker is down), the saga compensates, and then the
// lost command is delivered after all, under its own id and a new one.
func TestCancel(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	// Long step timeouts: no resend may slip in between purge and cancel.
	shop := harness.Start(t, harness.Options{Env: map[string]string{"ORCHESTRATOR_SAGA_STEP_TIMEOUT": "60s"}})
	var orders []harness.Order
	t.Run("while charging, the lost charge comes late", func(t *testing.T) {
		o := cancelThenLate(t, shop, "billing", "charging_payment", "refunding_payment", "ChargePayment")
		orders = append(orders, o)
		ps, err := shop.Payments(context.Background(), o.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Status == "succeeded" && (p.Kind == "charge" || p.AmountCents != 0) {
				t.Errorf("payment %+v: nothing may move for an order cancelled before its charge", p)
			}
		}
	})
	t.Run("while scheduling, the lost delivery comes late", func(t *testing.T) {
		o := cancelThenLate(t, shop, "fulfillment", "scheduling_delivery", "cancelling_delivery", "ScheduleDelivery")
		orders = append(orders, o)
		ss, err := shop.Shipments(context.Background(), o.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.Status == "scheduled" {
				t.Errorf("shipment %+v scheduled after its delivery was cancelled", s)
			}
		}
	})
	t.Run("a completed order stays completed", func(t *testing.T) {
		o := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780134190440", Quantity: 1})
		orders = append(orders, o)
		shop.MustPlace(t, o)
		shop.AwaitTerminal(t, []harness.Order{o}, 30*time.Second)
		if err := shop.Cancel(context.Background(), o.OrderID, "too late"); err != nil {
			t.Fatal(err)
		}
		waitQuiet(t, shop)
		if s := mustSaga(t, shop, o.OrderID); s.State != "completed" {
			t.Errorf("a cancel after completion moved the order to %s", s.State)
		}
	})
	shop.CheckInvariants(t, orders)
}

// cancelThenLate stops the worker, places an order, waits for the saga to
// send the worker its command, loses that command (purge), cancels, lets
// the worker compensate, and then delivers the lost command after all.
func cancelThenLate(t *testing.T, shop *harness.Shop, worker, waitState, compensating, command string) harness.Order {
	t.Helper()
	shop.Stop(t, worker)
	o := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: "9780134190440", Quantity: 2})
	shop.MustPlace(t, o)
	shop.AwaitSaga(t, o.OrderID, 20*time.Second, "reached "+waitState, func(s harness.Saga) bool { return s.State == waitState })
	awaitQueued(t, shop, worker)
	if err := harness.PurgeQueue(shop.AMQPURL, worker); err != nil {
		t.Fatal(err)
	}
	if err := shop.Cancel(context.Background(), o.OrderID, "changed my mind"); err != nil {
		t.Fatal(err)
	}
	shop.AwaitSaga(t, o.OrderID, 20*time.Second, "began compensating", func(s harness.Saga) bool { return s.State == compensating })
	shop.Start(t, worker)
	if s := shop.AwaitTerminal(t, []harness.Order{o}, 30*time.Second)[o.OrderID]; s.State != "cancelled" {
		t.Fatalf("order ended %s, want cancelled", s.State)
	}
	n := redeliverLate(t, shop, o.OrderID, command)
	t.Logf("the lost %s delivered late, %d times", command, n)
	waitQuiet(t, shop)
	if s := mustSaga(t, shop, o.OrderID); s.State != "cancelled" {
		t.Errorf("after the late %s the order is %s, want cancelled", command, s.State)
	}
	return o
}

// redeliverLate publishes the command the orchestrator sent for the order
// again, once under its own id and once under a new one.
func redeliverLate(t *testing.T, shop *harness.Shop, orderID, command string) int {
	t.Helper()
	ctx := context.Background()
	outs, _, err := harness.SentMessages(ctx, shop.DBPath("orchestrator"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var again []msg.Outgoing
	for _, o := range outs {
		if o.Envelope.Type == command && o.Envelope.CorrelationID == orderID {
			fresh := o.Envelope
			fresh.ID = msg.NewID()
			again = append(again, o, fresh.To(o.To))
		}
	}
	if len(again) == 0 {
		t.Fatalf("the orchestrator's inbox shows no %s for %s", command, orderID)
	}
	if err := shop.Publish(ctx, again...); err != nil {
		t.Fatal(err)
	}
	return len(again)
}

// awaitQueued waits until the command is in the worker's queue, so that a
// purge loses it rather than racing the orchestrator's outbox relay.
func awaitQueued(t *testing.T, shop *harness.Shop, queue string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		depths, err := harness.QueueDepths(shop.AMQPURL)
		if err != nil {
			t.Fatal(err)
		}
		if depths[queue] > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no command reached the %s queue in 10s", queue)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
