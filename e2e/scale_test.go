package e2e_test

import (
	"context"
	"testing"
	"time"

	"bookshop/e2e/harness"
)

// Issue 5, acceptance 4: billing scaled to two processes, competing
// consumers on the queue `billing` that share its two SQLite files (one
// host). While 200 orders flow, each copy in turn is killed (SIGKILL) in
// the middle of its work and started again; every order is still charged
// at most once and ends as its token and stock say (CheckInvariants), and
// both processes did part of the work.
func TestScaleBillingTwoProcesses(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{Env: map[string]string{
		"ORCHESTRATOR_SAGA_STEP_TIMEOUT": "2s",
		"ORCHESTRATOR_SAGA_MAX_ATTEMPTS": "100", // no saga gives up while a copy restarts
	}})
	second := shop.StartCopy(t, "billing", 2)
	rnd := newRand(t)
	orders := randomOrders(t, shop, rnd, 200, "tok_visa=80,tok_insufficient_funds=10,out_of_stock=10")
	w := &workShare{shop: shop, urls: map[string]string{"billing": shop.URL("billing"), second.Name: second.URL()}, done: map[string]float64{}}

	fed := feed(shop, orders, 4, 150*time.Millisecond)
	// A third of billing's work done: kill the shop's own billing process.
	w.await(t, 70)
	w.retire(t, "billing")
	shop.Kill(t, "billing")
	sleepRandom(rnd, 0, 2*time.Second)
	shop.Start(t, "billing")
	// Two thirds: kill the second copy.
	w.await(t, 140)
	w.retire(t, second.Name)
	if err := second.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed %s", second.Name)
	sleepRandom(rnd, 0, 2*time.Second)
	if err := second.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("started %s", second.Name)

	waitFed(t, fed)
	sagas := shop.AwaitTerminal(t, orders, 4*time.Minute)
	for _, o := range orders {
		if want := expectedOutcome(o); sagas[o.OrderID].State != want {
			t.Errorf("order %s (%s) ended %s, want %s: events %v", o.OrderID, o.PaymentToken, sagas[o.OrderID].State, want, sagas[o.OrderID].Events())
		}
	}
	shop.CheckInvariants(t, orders)
	total := w.total(t)
	for name, n := range total {
		t.Logf("%s handled %.0f billing messages", name, n)
		if n == 0 {
			t.Errorf("%s handled no message: the two processes did not share the queue (%v)", name, total)
		}
	}
}

// workShare counts the messages each billing process handled (outcome ok),
// across its restarts: a restarted process's counters start again at 0.
type workShare struct {
	shop *harness.Shop
	urls map[string]string  // process name → base URL
	done map[string]float64 // handled by the earlier runs of each process
}

// current reads the counters of the running processes; a process that does
// not answer (restarting) counts 0 for now.
func (w *workShare) current() map[string]float64 {
	out := map[string]float64{}
	for name, url := range w.urls {
		if counts, err := w.shop.Messages(context.Background(), url); err == nil {
			out[name] = harness.Handled(counts, "ok")
		}
	}
	return out
}

// await waits until the processes have handled n messages in all.
func (w *workShare) await(t *testing.T, n float64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		sum := 0.0
		cur := w.current()
		for name := range w.urls {
			sum += w.done[name] + cur[name]
		}
		if sum >= n {
			t.Logf("billing messages handled so far: %.0f (earlier runs %v, running %v)", sum, w.done, cur)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("billing handled %.0f messages in 3m, waiting for %.0f", sum, n)
		}
		time.Sleep(100 * time.Millisecond) // polling
	}
}

// retire adds what a process handled so far to its earlier runs, just
// before it is killed (what it handles in between is not counted: the
// count is a lower bound).
func (w *workShare) retire(t *testing.T, name string) {
	t.Helper()
	counts, err := w.shop.Messages(context.Background(), w.urls[name])
	if err != nil {
		t.Fatalf("read the metrics of %s before killing it: %v", name, err)
	}
	w.done[name] += harness.Handled(counts, "ok")
}

// total is what each process handled in all its runs.
func (w *workShare) total(t *testing.T) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, url := range w.urls {
		counts, err := w.shop.Messages(context.Background(), url)
		if err != nil {
			t.Fatalf("read the metrics of %s: %v", name, err)
		}
		out[name] = w.done[name] + harness.Handled(counts, "ok")
	}
	return out
}
