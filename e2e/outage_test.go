package e2e_test

import (
	"testing"
	"time"

	"bookshop/e2e/harness"
)

// fastRetries are saga settings short enough for outage tests.
func fastRetries(maxAttempts string) map[string]string {
	return map[string]string{
		"ORCHESTRATOR_SAGA_STEP_TIMEOUT":    "1s",
		"ORCHESTRATOR_SAGA_MAX_ATTEMPTS":    maxAttempts,
		"ORCHESTRATOR_SAGA_BACKOFF_INITIAL": "100ms",
		"ORCHESTRATOR_SAGA_BACKOFF_MAX":     "500ms",
	}
}

// Acceptance 5, first half: fulfillment down for several step timeouts;
// the orders wait with their retries visible in the admin API and
// complete once it is back, each shipped once.
func TestFulfillmentDownThenBack(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{Env: fastRetries("50")})
	shop.Stop(t, "fulfillment")
	orders := randomOrders(t, shop, newRand(t), 5, "tok_visa")
	shop.MustPlace(t, orders...)
	for _, o := range orders {
		s := shop.AwaitSaga(t, o.OrderID, 20*time.Second, "retried scheduling_delivery twice",
			func(s harness.Saga) bool {
				return s.State == "scheduling_delivery" && s.Attempts >= 3 && s.Count("timeout") >= 2
			})
		t.Logf("order %s waits: state=%s attempts=%d next_attempt_at=%s timeouts=%d", o.OrderID, s.State, s.Attempts, s.NextAttemptAt, s.Count("timeout"))
	}
	shop.Start(t, "fulfillment")
	sagas := shop.AwaitTerminal(t, orders, 30*time.Second)
	for id, s := range sagas {
		if s.State != "completed" {
			t.Errorf("order %s ended %s, want completed (events %v)", id, s.State, s.Events())
		}
	}
	shop.CheckInvariants(t, orders)
}

// Acceptance 5, second half: with retries exhausted the saga compensates:
// it cancels the delivery it may have asked for (which waits for
// fulfillment too), refunds the charge in full, and ends cancelled.
func TestFulfillmentDownRetriesExhausted(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{Env: fastRetries("3")})
	shop.Stop(t, "fulfillment")
	orders := randomOrders(t, shop, newRand(t), 3, "tok_visa")
	shop.MustPlace(t, orders...)
	for _, o := range orders {
		s := shop.AwaitSaga(t, o.OrderID, 30*time.Second, "gave up scheduling the delivery",
			func(s harness.Saga) bool {
				return s.State != "charging_payment" && s.State != "scheduling_delivery"
			})
		if s.State != "cancelling_delivery" && s.State != "stuck" {
			t.Errorf("order %s went from scheduling_delivery to %s, want cancelling_delivery (events %v)", o.OrderID, s.State, s.Events())
		}
		t.Logf("order %s compensates: state=%s step=%s attempts=%d events=%v", o.OrderID, s.State, s.Step, s.Attempts, s.Events())
	}
	shop.Start(t, "fulfillment")
	sagas := shop.AwaitTerminal(t, orders, 30*time.Second)
	for id, s := range sagas {
		if s.State != "cancelled" {
			t.Errorf("order %s ended %s, want cancelled (events %v)", id, s.State, s.Events())
		}
	}
	shop.CheckInvariants(t, orders)
}
