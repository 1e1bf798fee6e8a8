// Package e2e_test runs the whole bookshop: the five programs as separate
// processes on a fresh RabbitMQ vhost, driven from outside and broken on
// purpose (issue 2, acceptance 1-8). Most tests run in parallel, each on
// its own vhost; the two that stop the broker (every vhost feels it) are
// not parallel, so they run first, one after the other and alone, and take
// the broker lock exclusively besides (harness.LockBroker).
package e2e_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"bookshop/e2e/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.RemoveBuild()
	os.Exit(code)
}

// newRand returns a seeded generator and logs the seed; E2E_SEED replays
// a run.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("E2E_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("E2E_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("random seed %d (replay with E2E_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// randomOrders builds n orders of the mix.
func randomOrders(t *testing.T, shop *harness.Shop, rnd *rand.Rand, n int, mix string) []harness.Order {
	t.Helper()
	m, err := harness.ParseMix(mix)
	if err != nil {
		t.Fatal(err)
	}
	orders := make([]harness.Order, n)
	for i := range orders {
		if orders[i], err = m.Random(shop.Catalog, rnd); err != nil {
			t.Fatal(err)
		}
	}
	return orders
}

// feed places the orders in the background, batch at a time every
// interval, retrying a batch the broker did not confirm (a broker outage
// is what some tests are about; a duplicate StartPurchase is harmless). The
// channel yields nil once every order is placed, or the error that stopped it.
func feed(shop *harness.Shop, orders []harness.Order, batch int, every time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		for len(orders) > 0 {
			n := min(batch, len(orders))
			if err := placeRetrying(shop, orders[:n]); err != nil {
				done <- err
				return
			}
			orders = orders[n:]
			time.Sleep(every)
		}
		done <- nil
	}()
	return done
}

func placeRetrying(shop *harness.Shop, orders []harness.Order) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := shop.Place(ctx, orders...)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("placing %d orders kept failing for 90s: %w", len(orders), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFed waits for feed to finish.
func waitFed(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("placing the orders took over 3 minutes")
	}
}

// sleepRandom waits between lo and hi: chaos timing, never an assertion.
func sleepRandom(rnd *rand.Rand, lo, hi time.Duration) {
	time.Sleep(lo + time.Duration(rnd.Int64N(int64(hi-lo)+1)))
}
