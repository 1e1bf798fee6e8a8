package e2e_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/msg"
)

// Acceptance 6: SIGKILL the orchestrator and each worker at random moments
// while 300 orders flow, restart them, and every order still ends right.
// A few rounds stop a program with SIGTERM instead, which must end it with
// status 0 within 10 s under load too. E2E_CRASH_ORDERS changes the number
// of orders; E2E_SEED replays a run.
func TestCrashRecovery(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	crashTest(t, crashOrders(t, 300), map[string]string{
		"ORCHESTRATOR_SAGA_STEP_TIMEOUT": "2s",
		"ORCHESTRATOR_SAGA_MAX_ATTEMPTS": "30",
	})
}

// The same with retries that run out while a program is down: sagas give
// up and compensate (or get stuck, until the late reply resumes them) in
// the middle of the crashes, and still every order ends right.
func TestCrashRecoveryRetriesRunOut(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	crashTest(t, crashOrders(t, 150), map[string]string{
		"ORCHESTRATOR_SAGA_STEP_TIMEOUT":    "1s",
		"ORCHESTRATOR_SAGA_MAX_ATTEMPTS":    "2",
		"ORCHESTRATOR_SAGA_BACKOFF_INITIAL": "100ms",
		"ORCHESTRATOR_SAGA_BACKOFF_MAX":     "300ms",
	})
}

func crashOrders(t *testing.T, n int) int {
	t.Helper()
	if s := os.Getenv("E2E_CRASH_ORDERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("E2E_CRASH_ORDERS=%q: %v", s, err)
		}
	}
	return n
}

func crashTest(t *testing.T, n int, env map[string]string) {
	shop := harness.Start(t, harness.Options{Env: env})
	// Decodes nothing: it only counts the packs that go by.
	tap, err := harness.NewTapOf(context.Background(), shop.AMQPURL, msg.Frontend, func([]byte) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	rnd := newRand(t)
	orders := randomOrders(t, shop, rnd, n, "tok_visa=80,tok_insufficient_funds=10,out_of_stock=10")
	// Orders are placed all along, for about as long as the chaos lasts;
	// the orchestrator's queue keeps them while it is down.
	fed := feed(shop, orders, max(1, n/60), 500*time.Millisecond)
	for i, r := range chaosRounds(rnd) {
		sleepRandom(rnd, 300*time.Millisecond, 1500*time.Millisecond)
		for _, name := range r.down {
			if r.graceful {
				shop.Stop(t, name)
			} else {
				shop.Kill(t, name)
			}
		}
		sleepRandom(rnd, 0, 3*time.Second) // sometimes longer than a step timeout
		for _, name := range r.down {
			shop.Start(t, name)
		}
		t.Logf("round %d done", i+1)
	}
	waitFed(t, fed)
	shop.AwaitTerminal(t, orders, 3*time.Minute)
	shop.CheckInvariants(t, orders)
	checkPacked(t, tap)
}

// checkPacked: the crashes hit packs, not only single messages: the
// orchestrator sent status events to the frontend in packs (counted by a
// tap that was there from the start).
func checkPacked(t *testing.T, tap *harness.Tap) {
	t.Helper()
	t.Logf("the frontend's queue received %d packs", tap.Packs())
	if tap.Packs() == 0 {
		t.Errorf("no pack reached the frontend's queue: every message went alone")
	}
}

type chaosRound struct {
	down     []string
	graceful bool // SIGTERM, else SIGKILL
}

// chaosRounds: SIGKILL the orchestrator and each worker twice, once two of
// them at the same moment, and SIGTERM each once, in random order.
func chaosRounds(rnd *rand.Rand) []chaosRound {
	victims := append([]string{"orchestrator"}, harness.Workers...)
	var rounds []chaosRound
	for _, v := range victims {
		rounds = append(rounds, chaosRound{down: []string{v}}, chaosRound{down: []string{v}}, chaosRound{down: []string{v}, graceful: true})
	}
	rounds = append(rounds, chaosRound{down: []string{"orchestrator", harness.Workers[rnd.IntN(len(harness.Workers))]}})
	rnd.Shuffle(len(rounds), func(i, j int) { rounds[i], rounds[j] = rounds[j], rounds[i] })
	return rounds
}
