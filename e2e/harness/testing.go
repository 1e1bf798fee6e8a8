package harness

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The methods here are for tests: each fails the test it is given, so call
// them from that test's own goroutine.

// Kill sends SIGKILL to a program and waits until it is gone.
func (s *Shop) Kill(t testing.TB, name string) {
	t.Helper()
	if err := s.KillProgram(name); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s", name)
}

// Stop sends SIGTERM to a program and requires exit status 0 within 10 s.
func (s *Shop) Stop(t testing.TB, name string) {
	t.Helper()
	if err := s.StopProgram(name); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped %s", name)
}

// Start starts a stopped program again, same port and database, and waits
// until it is ready.
func (s *Shop) Start(t testing.TB, name string) {
	t.Helper()
	if err := s.StartProgram(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s", name)
}

// MustOrder builds an order priced from the catalog.
func (s *Shop) MustOrder(t testing.TB, token string, lines ...Line) Order {
	t.Helper()
	o, err := NewOrder(s.Catalog, token, lines...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// MustPlace publishes the orders' StartPurchase messages.
func (s *Shop) MustPlace(t testing.TB, orders ...Order) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Place(ctx, orders...); err != nil {
		t.Fatal(err)
	}
}

// AwaitTerminal waits until every order is in a terminal state, failing the
// test with the outstanding orders' states after timeout.
func (s *Shop) AwaitTerminal(t testing.TB, orders []Order, timeout time.Duration) map[string]Saga {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	sagas, err := s.WaitTerminal(ctx, IDs(orders), 200*time.Millisecond)
	if err != nil {
		t.Fatalf("after %v: %v", timeout, err)
	}
	t.Logf("%d orders terminal after %v", len(orders), time.Since(start).Round(time.Millisecond))
	return sagas
}

// AwaitSaga waits until the order's saga satisfies ok (described by what),
// failing the test with the last saga seen after timeout.
func (s *Shop) AwaitSaga(t testing.TB, id string, timeout time.Duration, what string, ok func(Saga) bool) Saga {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	saga, err := s.WaitFor(ctx, id, 100*time.Millisecond, ok)
	if err != nil {
		t.Fatalf("order %s never %s within %v: %v; last seen state=%s step=%s attempts=%d events=%v",
			id, what, timeout, err, saga.State, saga.Step, saga.Attempts, saga.Events())
	}
	return saga
}

// DeadLetters returns the depth of each program's dead-letter queue.
func (s *Shop) DeadLetters(t testing.TB) map[string]int {
	t.Helper()
	depths, err := QueueDepths(s.AMQPURL)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for q, n := range depths {
		if name, ok := strings.CutSuffix(q, ".dead-letter"); ok {
			out[name] = n
		}
	}
	return out
}

// CheckInvariants checks what must hold of every order once the shop is
// quiet (see Check), reports each broken rule as a test error and logs the
// outcome counts. Pass every order the shop was given: the stock check
// compares reservations with all of them.
func (s *Shop) CheckInvariants(t testing.TB, orders []Order) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := s.Check(ctx, s.Catalog, orders)
	if err != nil {
		t.Fatalf("check invariants: %v", err)
	}
	for name, n := range s.DeadLetters(t) {
		if n != s.ExpectedDeadLetters[name] {
			r.Problems = append(r.Problems, fmt.Sprintf("dead-letter queue of %s holds %d messages, want %d", name, n, s.ExpectedDeadLetters[name]))
		}
	}
	r.Problems = append(r.Problems, s.frontendAgrees(ctx, r)...)
	t.Logf("outcomes of %d orders: %s", len(orders), r.Summary())
	for i, p := range r.Problems {
		if i == 40 {
			t.Errorf("... and %d more problems", len(r.Problems)-40)
			break
		}
		t.Errorf("invariant: %s", p)
	}
	return r
}

// frontendAgrees waits a little for the frontend's views to catch up with
// the sagas (they follow events) and returns where they still differ.
func (s *Shop) frontendAgrees(ctx context.Context, r Report) []string {
	sagas := make(map[string]Saga, len(r.Orders))
	for id, e := range r.Orders {
		sagas[id] = e.Saga
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		p := s.CheckFrontend(ctx, sagas)
		if len(p) == 0 || time.Now().After(deadline) {
			return p
		}
		time.Sleep(250 * time.Millisecond) // polling, not an assertion
	}
}
