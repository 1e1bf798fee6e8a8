package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/rabbit/rabbittest"
)

// Acceptance 7, first half: the broker drops every connection of the
// vhost, twice, while orders flow; every program reconnects by itself.
func TestBrokerClosesConnections(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{})
	rnd := newRand(t)
	orders := randomOrders(t, shop, rnd, 100, "tok_visa=80,tok_insufficient_funds=10,out_of_stock=10")
	fed := feed(shop, orders, 5, 200*time.Millisecond) // about 4 s of orders
	for range 2 {
		sleepRandom(rnd, 700*time.Millisecond, 1500*time.Millisecond)
		rabbittest.CloseConnections(t, shop.AMQPURL)
		t.Log("closed every connection of the vhost")
	}
	waitFed(t, fed)
	shop.AwaitTerminal(t, orders, 2*time.Minute)
	awaitAllReady(t, shop)
	shop.CheckInvariants(t, orders)
}

// Acceptance 7, second half: the whole broker restarts (rabbitmqctl
// stop_app / start_app) while orders flow. This stops every vhost on the
// machine, so the test holds the broker lock exclusively and always starts
// the broker again.
func TestBrokerRestart(t *testing.T) {
	// Not parallel: it runs before the parallel tests start, alone. A
	// parallel test waiting for the exclusive lock would hold one of
	// -parallel's slots until every other shop had finished.
	harness.LockBroker(t, true)
	shop := harness.Start(t, harness.Options{})
	rnd := newRand(t)
	orders := randomOrders(t, shop, rnd, 100, "tok_visa=80,tok_insufficient_funds=10,out_of_stock=10")
	fed := feed(shop, orders, 5, 200*time.Millisecond)
	sleepRandom(rnd, 1*time.Second, 2*time.Second)

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
	awaitNotReady(t, shop)
	if err := harness.StartBrokerApp(); err != nil {
		t.Fatal(err)
	}
	stopped = false
	t.Log("broker app started again")

	waitFed(t, fed)
	awaitAllReady(t, shop)
	shop.AwaitTerminal(t, orders, 2*time.Minute)
	shop.CheckInvariants(t, orders)
}

// awaitNotReady: while the broker is down, every program's /readyz must
// say so (503), as the contract says.
func awaitNotReady(t *testing.T, shop *harness.Shop) {
	t.Helper()
	ctx := context.Background()
	for _, name := range harness.Programs {
		deadline := time.Now().Add(15 * time.Second)
		for shop.Ready(ctx, name) != http.StatusServiceUnavailable {
			if time.Now().After(deadline) {
				t.Errorf("%s /readyz still answers %d 15s into a broker outage, want 503", name, shop.Ready(ctx, name))
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func awaitAllReady(t *testing.T, shop *harness.Shop) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := shop.WaitReady(ctx); err != nil {
		t.Fatalf("programs did not recover by themselves: %v", err)
	}
}
