package e2e_test

import (
	"context"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

// Acceptance 4: every command and reply delivered twice changes nothing.
// The copies are the very messages the programs sent (same ids), read back
// from the inbox of the program that processed them: the orchestrator's
// inbox keeps the commands each reply caused, a worker's the reply each
// command caused. They are published while the orders flow, as soon as the
// first copy was processed, and once more for every message at the end.
func TestDuplicateDeliveries(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	// A slow gateway and orders placed over two seconds keep the orders in
	// flight while the copies arrive.
	shop := harness.Start(t, harness.Options{Env: map[string]string{"BILLING_GATEWAY_LATENCY": "30ms"}})
	rnd := newRand(t)
	orders := randomOrders(t, shop, rnd, 30, "tok_visa=70,tok_insufficient_funds=15,out_of_stock=15")
	fed := feed(shop, orders, 3, 200*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // the copy of each batch half a batch later
	fedAgain := feed(shop, orders, 3, 200*time.Millisecond)

	dup := shop.NewDuplicator()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for !allTerminal(ctx, shop, len(orders)) && ctx.Err() == nil {
		if _, err := dup.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // pacing the passes
	}
	waitFed(t, fed)
	waitFed(t, fedAgain)
	sagas := shop.AwaitTerminal(t, orders, time.Second)
	if _, err := dup.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("duplicates published while the orders flowed: %s", dup.Summary())
	for _, typ := range []string{"ChargePayment", "PaymentCharged", "PaymentDeclined", "ScheduleDelivery",
		"DeliveryScheduled", "DeliveryFailed", "RefundPayment", "PaymentRefunded", "SendEmail", "EmailSent"} {
		if dup.Sent[typ] == 0 {
			t.Errorf("no duplicate of a %s was published: the inboxes did not show one", typ)
		}
	}
	waitQuiet(t, shop)
	before := snapshot(t, shop, orders)
	shop.CheckInvariants(t, orders)

	t.Run("again after the end", func(t *testing.T) {
		all := shop.NewDuplicator()
		if _, err := all.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		shop.MustPlace(t, orders...)
		t.Logf("duplicates published after the end: %s", all.Summary())
		waitQuiet(t, shop)
		if diff := cmp.Diff(before, snapshot(t, shop, orders)); diff != "" {
			t.Errorf("duplicates changed the shop (-before +after):\n%s", diff)
		}
	})

	// Business keys back the ids up: the same commands under new ids
	// (as if the orchestrator had lost its record of sending them) move no
	// money, ship nothing and send no email again.
	t.Run("same commands with new ids", func(t *testing.T) {
		n := republishWithNewIDs(t, shop)
		t.Logf("%d commands published again under new ids", n)
		waitQuiet(t, shop)
		if diff := cmp.Diff(effects(before), effects(snapshot(t, shop, orders))); diff != "" {
			t.Errorf("commands under new ids changed the effects (-before +after):\n%s", diff)
		}
		for id, s := range sagas {
			if got := mustSaga(t, shop, id).State; got != s.State {
				t.Errorf("order %s went from %s to %s", id, s.State, got)
			}
		}
	})
}

func allTerminal(ctx context.Context, shop *harness.Shop, n int) bool {
	st, err := shop.Stats(ctx)
	if err != nil {
		return false
	}
	done := 0
	for _, s := range harness.Terminal {
		done += st.States[s]
	}
	return done >= n
}

func waitQuiet(t *testing.T, shop *harness.Shop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := shop.WaitQuiet(ctx); err != nil {
		t.Fatal(err)
	}
}

func mustSaga(t *testing.T, shop *harness.Shop, id string) harness.Saga {
	t.Helper()
	s, err := shop.Saga(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// republishWithNewIDs sends every command the orchestrator ever sent again,
// each in a new envelope.
func republishWithNewIDs(t *testing.T, shop *harness.Shop) int {
	t.Helper()
	ctx := context.Background()
	outs, _, err := harness.SentMessages(ctx, shop.DBPath("orchestrator"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var again []msg.Outgoing
	for _, o := range outs {
		if o.To == msg.Frontend {
			continue // events, not commands
		}
		env := o.Envelope
		env.ID = msg.NewID()
		env.SentAt = time.Now().UTC()
		again = append(again, env.To(o.To))
	}
	if err := shop.Publish(ctx, again...); err != nil {
		t.Fatal(err)
	}
	return len(again)
}

// orderSnapshot is what a duplicate must not change about an order.
type orderSnapshot struct {
	State, UpdatedAt string
	Version          int64
	History          int
	Payments         []harness.Payment
	Shipments        []harness.Shipment
	Emails           []harness.Email
	Frontend         harness.FrontendOrder
}

type shopSnapshot struct {
	Orders map[string]orderSnapshot
	Stock  []harness.Stock
}

func snapshot(t *testing.T, shop *harness.Shop, orders []harness.Order) shopSnapshot {
	t.Helper()
	ctx := context.Background()
	r, err := shop.Check(ctx, shop.Catalog, orders)
	if err != nil {
		t.Fatal(err)
	}
	s := shopSnapshot{Orders: map[string]orderSnapshot{}}
	for id, e := range r.Orders {
		f, err := shop.FrontendOrder(ctx, id)
		if err != nil {
			t.Fatalf("frontend view of %s: %v", id, err)
		}
		s.Orders[id] = orderSnapshot{
			State: e.Saga.State, UpdatedAt: string(e.Saga.UpdatedAt), Version: e.Saga.Version,
			History: len(e.Saga.History), Payments: e.Payments, Shipments: e.Shipments,
			Emails: e.Emails, Frontend: f,
		}
	}
	if s.Stock, err = shop.Stock(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// effects keeps what moved money, goods or mail: a declined gateway attempt
// or an ignored late reply in a saga's history is not an effect.
func effects(s shopSnapshot) shopSnapshot {
	out := shopSnapshot{Orders: map[string]orderSnapshot{}, Stock: s.Stock}
	for id, o := range s.Orders {
		var moved []harness.Payment
		for _, p := range o.Payments {
			if p.Status == "succeeded" {
				moved = append(moved, p)
			}
		}
		out.Orders[id] = orderSnapshot{State: o.State, Payments: moved, Shipments: o.Shipments, Emails: o.Emails}
	}
	return out
}
