package e2e_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/msg"
)

// Issue 3 (the frontend), through its customer API as a browser uses it:
// orders are placed with POST /api/orders and followed with
// GET /api/orders/{id}, under the frontend's own order ids.

// Books of the catalog the tests buy.
const (
	feAlgorithms = "9780262033848"
	feDDIA       = "9781449373320"
	feGo         = "9780134190440"
)

// fePatientSaga: step timeouts long enough that a loaded machine, or a slow
// gateway, causes no resend that could run a step's attempts out. These
// tests are about the frontend, not the saga's retries.
func fePatientSaga(extra map[string]string) map[string]string {
	env := map[string]string{
		"ORCHESTRATOR_SAGA_STEP_TIMEOUT": "15s",
		"ORCHESTRATOR_SAGA_MAX_ATTEMPTS": "10",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// feSlowBilling keeps an order in charging_payment for a few seconds.
var feSlowBilling = map[string]string{"BILLING_GATEWAY_LATENCY": "3s"}

// feOptions: a generous ready timeout, since the machine is shared.
func feOptions(env map[string]string) harness.Options {
	return harness.Options{Env: fePatientSaga(env), ReadyTimeout: 90 * time.Second}
}

// feNewKey is a fresh Idempotency-Key.
func feNewKey() string { return "e2e-" + strings.ToLower(rand.Text()) }

// Acceptance 2: with RabbitMQ stopped, 50 checkouts answer 202 at once and
// wait in the frontend's outbox; once it is back, all 50 complete. Stopping
// the broker's app stops every vhost, so the test holds the broker lock
// exclusively and always starts the broker again.
func TestFrontendCheckoutWhileBrokerDown(t *testing.T) {
	// Not parallel, like TestBrokerRestart: it runs alone before the
	// parallel tests start.
	const n, quick = 50, 5 * time.Second // quick: generous for a loaded machine; typical is milliseconds
	harness.LockBroker(t, true)
	shop := harness.Start(t, feOptions(nil))
	rnd := newRand(t)
	orders := make([]harness.Order, n)
	for i := range orders {
		orders[i] = shop.MustOrder(t, "tok_visa", harness.RandomLines(shop.Catalog, rnd)...)
	}

	stopped := true
	t.Cleanup(func() {
		if stopped {
			if err := harness.StartBrokerApp(); err != nil {
				t.Errorf("start the broker again: %v", err)
			}
		}
	})
	if err := harness.StopBrokerApp(); err != nil {
		t.Fatal(err)
	}
	t.Log("broker app stopped")
	feAwaitReadyz(t, shop, "frontend", http.StatusServiceUnavailable, 30*time.Second)

	orders = feCheckoutAll(t, shop, orders, quick)
	shop.AwaitMetric(t, "frontend", "bookshop_outbox_backlog", n, 10*time.Second)
	t.Logf("bookshop_outbox_backlog shows the %d orders", n)
	for _, o := range orders {
		if v := feMustView(t, shop, o.OrderID); v.Status != "accepted" {
			t.Errorf("order %s is %q (state %q) while the broker is down, want accepted", o.OrderID, v.Status, v.State)
		}
	}

	if err := harness.StartBrokerApp(); err != nil {
		t.Fatal(err)
	}
	stopped = false
	t.Log("broker app started again")
	shop.AwaitStatuses(t, orders, "completed", 3*time.Minute)
	shop.AwaitMetric(t, "frontend", "bookshop_outbox_backlog", 0, 60*time.Second)
	feCheckSagaCount(t, shop, n, map[string]int{"completed": n})
	shop.CheckInvariants(t, orders)
}

// feCheckoutAll places the orders through the frontend, ten at a time, each
// with its own Idempotency-Key, requires a 202 within quick for every one,
// and returns them under the frontend's ids.
func feCheckoutAll(t *testing.T, shop *harness.Shop, orders []harness.Order, quick time.Duration) []harness.Order {
	t.Helper()
	answers := make([]harness.Answer, len(orders))
	errs := make([]error, len(orders))
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	start := time.Now()
	for i, o := range orders {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			answers[i], errs[i] = shop.FrontendCheckout(ctx, harness.CheckoutBody(o), feNewKey())
		})
	}
	wg.Wait()
	out := slices.Clone(orders)
	var took []time.Duration
	for i, a := range answers {
		v, err := harness.AcceptedOrder(a)
		switch {
		case errs[i] != nil:
			t.Errorf("checkout %d: %v", i, errs[i])
		case err != nil:
			t.Errorf("checkout %d: %v", i, err)
		case a.Took > quick:
			t.Errorf("checkout %d (order %s) took %v, want under %v", i, v.ID, a.Took, quick)
		}
		out[i].OrderID = v.ID
		took = append(took, a.Took)
	}
	if t.Failed() {
		t.FailNow()
	}
	slices.Sort(took)
	t.Logf("%d checkouts answered 202 in %v: median %v, slowest %v", len(orders),
		time.Since(start).Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	return out
}

// Acceptance 3: with the orchestrator stopped, checkouts answer 202, reach
// the broker, and their pages show `accepted`; once it starts, they
// complete.
func TestFrontendCheckoutWhileOrchestratorDown(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	const n = 10
	shop := harness.Start(t, feOptions(nil))
	shop.Stop(t, "orchestrator")
	tap, err := harness.NewTap(context.Background(), shop.AMQPURL, "orchestrator")
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	orders := make([]harness.Order, n)
	for i := range orders {
		orders[i], _ = shop.MustCheckout(t, shop.MustOrder(t, "tok_visa", harness.Line{ISBN: feGo, Quantity: 1 + i%2}), feNewKey())
	}
	// The relay hands them to the broker; they wait in the orchestrator's
	// queue: a copy of each was routed there, and the queue is not empty
	// (it holds fewer AMQP messages than orders when the relay packed them).
	shop.AwaitMetric(t, "frontend", "bookshop_outbox_backlog", 0, 60*time.Second)
	feAwaitStarts(t, tap, orders, 60*time.Second)
	feAwaitQueued(t, shop, "orchestrator", 60*time.Second)
	for _, o := range orders {
		if v := feMustView(t, shop, o.OrderID); v.Status != "accepted" || v.State != "" {
			t.Errorf("order %s shows status %q state %q with the orchestrator down, want accepted and no state", o.OrderID, v.Status, v.State)
		}
		feCheckOrderPage(t, shop, o.OrderID)
	}
	shop.Start(t, "orchestrator")
	shop.AwaitStatuses(t, orders, "completed", 2*time.Minute)
	feCheckSagaCount(t, shop, n, map[string]int{"completed": n})
	shop.CheckInvariants(t, orders)
}

// feCheckOrderPage: the storefront's page of the order answers 200 with HTML
// naming it.
func feCheckOrderPage(t *testing.T, shop *harness.Shop, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := shop.FrontendGet(ctx, "/orders/"+id)
	switch {
	case err != nil:
		t.Errorf("order page of %s: %v", id, err)
	case a.Status != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html"):
		t.Errorf("order page of %s: %d %q, want 200 text/html", id, a.Status, a.Header.Get("Content-Type"))
	case !strings.Contains(string(a.Body), id):
		t.Errorf("order page of %s does not name the order", id)
	}
}

// The whole path of each outcome, as the customer sees it in the frontend;
// and a cancel once the delivery is confirmed is refused with 409.
func TestFrontendPurchase(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, feOptions(nil))
	tests := []struct {
		name, token   string
		lines         []harness.Line
		final, status string
		reason        string // the frontend's failure_reason
		email         string
	}{
		{"visa completes", "tok_visa", []harness.Line{{ISBN: feAlgorithms, Quantity: 1}, {ISBN: feDDIA, Quantity: 2}},
			"completed", "completed", "", msg.TemplateOrderConfirmed},
		{"card declined", "tok_card_declined", []harness.Line{{ISBN: feAlgorithms, Quantity: 1}},
			"declined", "payment_declined", "card_declined", msg.TemplatePaymentDeclined},
		{"unknown token declined", "tok_no_such_card", []harness.Line{{ISBN: feAlgorithms, Quantity: 1}},
			"declined", "payment_declined", "invalid_token", msg.TemplatePaymentDeclined},
		{"out of stock cancelled", "tok_visa", []harness.Line{{ISBN: feDDIA, Quantity: 1}, {ISBN: harness.OutOfStock, Quantity: 1}},
			"cancelled", "cancelled", "out_of_stock", msg.TemplateOrderCancelled},
	}
	orders := make([]harness.Order, len(tests))
	for i, tc := range tests {
		orders[i], _ = shop.MustCheckout(t, shop.MustOrder(t, tc.token, tc.lines...), feNewKey())
	}
	sagas := shop.AwaitTerminal(t, orders, 2*time.Minute)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := orders[i]
			if s := sagas[o.OrderID]; s.State != tc.final {
				t.Errorf("saga ended %s, want %s (path %v)", s.State, tc.final, s.Path())
			}
			v := shop.AwaitView(t, o.OrderID, 60*time.Second, "showed "+tc.status,
				func(v harness.FrontendView) bool { return v.Status == tc.status })
			if v.State != tc.final || v.FailureReason != tc.reason || v.CanCancel {
				t.Errorf("frontend view: state %q failure_reason %q can_cancel %v, want %q %q false", v.State, v.FailureReason, v.CanCancel, tc.final, tc.reason)
			}
			feCheckDelivery(t, shop, o.OrderID, v, tc.final == "completed")
			checkMoney(t, shop, o, tc.final)
			checkEmails(t, shop, o, tc.email)
		})
	}
	t.Run("cancel after completed is 409", func(t *testing.T) {
		id := orders[0].OrderID
		a := feMustCancel(t, shop, id, "too late")
		if a.Status != http.StatusConflict || !strings.HasPrefix(a.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("cancel of a completed order: %v (%s), want 409 problem+json", a, a.Header.Get("Content-Type"))
		}
		waitQuiet(t, shop)
		if s, v := mustSaga(t, shop, id), feMustView(t, shop, id); s.State != "completed" || v.Status != "completed" {
			t.Errorf("after the refused cancel the saga is %s and the frontend shows %s, want completed", s.State, v.Status)
		}
	})
	shop.CheckInvariants(t, orders)
}

// feCheckDelivery: a completed order shows the expected date and tracking id
// of its one scheduled shipment; any other shows none.
func feCheckDelivery(t *testing.T, shop *harness.Shop, id string, v harness.FrontendView, completed bool) {
	t.Helper()
	if !completed {
		if v.Delivery != (harness.Delivery{}) {
			t.Errorf("frontend shows delivery %+v for an order that was not delivered", v.Delivery)
		}
		return
	}
	ss, err := shop.Shipments(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.DateOnly, v.Delivery.ExpectedDate); err != nil || v.Delivery.TrackingID == "" {
		t.Errorf("frontend delivery %+v, want an expected date YYYY-MM-DD and a tracking id", v.Delivery)
	}
	if len(ss) != 1 || ss[0].ExpectedDate != v.Delivery.ExpectedDate || ss[0].TrackingID != v.Delivery.TrackingID {
		t.Errorf("frontend delivery %+v, fulfillment's shipments %+v: want the one shipment's date and tracking id", v.Delivery, ss)
	}
}

// A customer's cancel while the (slow) gateway is charging: 202, then the
// order is cancelled, whatever was charged refunded, one cancellation email.
func TestFrontendCancelWhileCharging(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, feOptions(feSlowBilling))
	o, _ := shop.MustCheckout(t, shop.MustOrder(t, "tok_visa", harness.Line{ISBN: feGo, Quantity: 2}), feNewKey())
	v := shop.AwaitView(t, o.OrderID, 60*time.Second, "left accepted",
		func(v harness.FrontendView) bool { return v.State != "" })
	if v.State != "charging_payment" {
		t.Fatalf("the frontend shows state %q, want charging_payment (the gateway takes %s)", v.State, feSlowBilling["BILLING_GATEWAY_LATENCY"])
	}
	a := feMustCancel(t, shop, o.OrderID, "changed my mind")
	if a.Status != http.StatusAccepted {
		t.Fatalf("cancel while charging: %v, want 202", a)
	}
	saga := shop.AwaitSaga(t, o.OrderID, 2*time.Minute, "ended", func(s harness.Saga) bool { return harness.IsTerminal(s.State) })
	if saga.State != "cancelled" || !slices.Contains(saga.Path(), "refunding_payment") {
		t.Errorf("saga ended %s by %v, want cancelled through refunding_payment", saga.State, saga.Path())
	}
	v = shop.AwaitView(t, o.OrderID, 60*time.Second, "showed cancelled",
		func(v harness.FrontendView) bool { return v.Status == "cancelled" })
	t.Logf("frontend: state %s, failure_reason %q", v.State, v.FailureReason)
	feCheckRefunded(t, shop, o)
	checkEmails(t, shop, o, msg.TemplateOrderCancelled)
	shop.CheckInvariants(t, []harness.Order{o})
}

// feCheckRefunded: at least one refund went through, and it gave back
// exactly what was charged.
func feCheckRefunded(t *testing.T, shop *harness.Shop, o harness.Order) {
	t.Helper()
	ps, err := shop.Payments(context.Background(), o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	var charged, refunded int64
	refunds := 0
	for _, p := range ps {
		switch {
		case p.Status != "succeeded":
		case p.Kind == "charge":
			charged += p.AmountCents
		case p.Kind == "refund":
			refunded += p.AmountCents
			refunds++
		}
	}
	t.Logf("charged %d cents, refunded %d (order total %d)", charged, refunded, o.TotalCents)
	if refunds == 0 || refunded != charged || (charged != 0 && charged != o.TotalCents) {
		t.Errorf("payments %+v: want the charge (if any) of %d refunded in full", ps, o.TotalCents)
	}
}

// The same Idempotency-Key and body, sent again after the frontend
// restarted in the middle of the saga, is the same order: one saga, one
// charge, one email. The key with another body is 422.
func TestFrontendIdempotencyAcrossRestart(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, feOptions(feSlowBilling))
	ctx := context.Background()
	key := feNewKey()
	o := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: feAlgorithms, Quantity: 1})
	o, first := shop.MustCheckout(t, o, key)
	s := shop.AwaitSaga(t, o.OrderID, 60*time.Second, "started", func(s harness.Saga) bool { return s.State != "" })
	t.Logf("saga in %s: restarting the frontend", s.State)
	shop.Stop(t, "frontend")
	shop.Start(t, "frontend")

	again, err := shop.FrontendCheckout(ctx, harness.CheckoutBody(o), key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := harness.AcceptedOrder(again)
	if err != nil || v.ID != first.ID {
		t.Fatalf("the key sent again after a restart: order %q (%v), want the same order %s", v.ID, err, first.ID)
	}
	t.Logf("the key sent again after the restart: same order %s (Idempotent-Replayed %q), saga then in %s",
		v.ID, again.Header.Get("Idempotent-Replayed"), mustSaga(t, shop, o.OrderID).State)

	other := shop.MustOrder(t, "tok_visa", harness.Line{ISBN: feDDIA, Quantity: 1})
	if a, err := shop.FrontendCheckout(ctx, harness.CheckoutBody(other), key); err != nil || a.Status != http.StatusUnprocessableEntity {
		t.Errorf("the key with another body: %v (error %v), want 422", a, err)
	}

	if s := shop.AwaitTerminal(t, []harness.Order{o}, 2*time.Minute)[o.OrderID]; s.State != "completed" {
		t.Errorf("order ended %s, want completed (events %v)", s.State, s.Events())
	}
	shop.AwaitView(t, o.OrderID, 60*time.Second, "showed completed",
		func(v harness.FrontendView) bool { return v.Status == "completed" })
	feCheckSagaCount(t, shop, 1, map[string]int{"completed": 1})
	checkMoney(t, shop, o, "completed")
	checkEmails(t, shop, o, msg.TemplateOrderConfirmed)
	shop.CheckInvariants(t, []harness.Order{o})
}

// feCheckSagaCount: the orchestrator holds exactly n sagas, by state as want.
func feCheckSagaCount(t *testing.T, shop *harness.Shop, n int, want map[string]int) {
	t.Helper()
	st, err := shop.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for state, c := range st.States {
		if c != want[state] {
			t.Errorf("orchestrator stats: %d sagas %s, want %d (all: %v)", c, state, want[state], st.States)
		}
	}
	if st.Total != n {
		t.Errorf("orchestrator stats: %d sagas in all, want %d", st.Total, n)
	}
}

func feMustView(t *testing.T, shop *harness.Shop, id string) harness.FrontendView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v, err := shop.FrontendView(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func feMustCancel(t *testing.T, shop *harness.Shop, id, reason string) harness.Answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := shop.FrontendCancel(ctx, id, reason)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// feAwaitReadyz waits until a program's /readyz answers want.
func feAwaitReadyz(t *testing.T, shop *harness.Shop, name string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := shop.Ready(context.Background(), name)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s /readyz answers %d after %v, want %d", name, got, timeout, want)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// feAwaitStarts waits until the tap saw a StartPurchase for each order.
func feAwaitStarts(t *testing.T, tap *harness.Tap, orders []harness.Order, timeout time.Duration) {
	t.Helper()
	want := map[string]bool{}
	for _, o := range orders {
		want[o.OrderID] = true
	}
	deadline := time.After(timeout)
	for len(want) > 0 {
		select {
		case env := <-tap.Events:
			if env.Type == (msg.StartPurchase{}).MessageType() {
				delete(want, env.CorrelationID)
			}
		case <-deadline:
			t.Errorf("no StartPurchase reached the orchestrator's queue within %v for %d of %d orders", timeout, len(want), len(orders))
			return
		}
	}
}

// feAwaitQueued waits until a queue holds messages.
func feAwaitQueued(t *testing.T, shop *harness.Shop, queue string, timeout time.Duration) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		depths, err := harness.QueueDepths(shop.AMQPURL)
		if err == nil && depths[queue] > 0 {
			t.Logf("queue %s holds %d AMQP messages (seen after %v)", queue, depths[queue], time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("queue %s holds %d messages (error %v) after %v, want some", queue, depths[queue], err, timeout)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
