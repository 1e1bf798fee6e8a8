package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"bookshop/e2e/harness"
	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"

	amqp "github.com/rabbitmq/amqp091-go"
)

// upgradeSequence is the order TestRollingUpgrade upgrades the programs in:
// the workers first, as a release usually goes, then the orchestrator and
// the frontend.
var upgradeSequence = []string{"billing", "fulfillment", "communication", "orchestrator", "frontend"}

// Issue 5, acceptance 1: while 200 orders flow, each program in turn is
// stopped (SIGTERM, exit 0), rebuilt into a new binary, and started from
// it, one at a time, nothing else touched; every order still ends as its
// token and stock say, with the usual invariants. Orders are placed all
// along, a share of them while each program is down, so that each new
// process takes over work its predecessor left in its queue.
func TestRollingUpgrade(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{
		Env: map[string]string{
			// A program is down for as long as its build takes on a busy
			// machine: no saga may give up meanwhile.
			"ORCHESTRATOR_SAGA_STEP_TIMEOUT": "2s",
			"ORCHESTRATOR_SAGA_MAX_ATTEMPTS": "200",
		},
		ReadyTimeout: 90 * time.Second,
	})
	orders := randomOrders(t, shop, newRand(t), 200, "tok_visa=80,tok_insufficient_funds=10,out_of_stock=10")
	chunks := split(orders, len(upgradeSequence)+1)
	waitFed(t, feed(shop, chunks[0], 4, 100*time.Millisecond))
	releases := t.TempDir()
	for i, name := range upgradeSequence {
		fed := feed(shop, chunks[i+1], 2, 150*time.Millisecond)
		upgrade(t, shop, name, filepath.Join(releases, fmt.Sprint("release-", i+1), name))
		waitFed(t, fed)
	}
	sagas := shop.AwaitTerminal(t, orders, 5*time.Minute)
	for _, o := range orders {
		if want := expectedOutcome(o); sagas[o.OrderID].State != want {
			t.Errorf("order %s (%s) ended %s, want %s: events %v", o.OrderID, o.PaymentToken, sagas[o.OrderID].State, want, sagas[o.OrderID].Events())
		}
	}
	shop.CheckInvariants(t, orders)
	for _, name := range upgradeSequence {
		checkServedByRelease(t, shop, name, filepath.Join(releases, fmt.Sprint("release-", slices.Index(upgradeSequence, name)+1), name))
	}
}

// upgrade replaces one running program by a build of the current source
// into newBin, observably another binary (its build information carries a
// release marker), and checks that only that program was touched.
func upgrade(t *testing.T, shop *harness.Shop, name, newBin string) {
	t.Helper()
	others := map[string]int{}
	for _, p := range harness.Programs {
		if p != name {
			others[p] = shop.Pid(p)
		}
	}
	oldBin, err := shop.Binary(name)
	if err != nil {
		t.Fatal(err)
	}
	oldSum, oldPid := fileSum(t, oldBin), shop.Pid(name)

	shop.Stop(t, name) // SIGTERM; fails the test unless it exits 0 within 10 s
	stopped := time.Now()
	ldflags := fmt.Sprintf("-X main.version=e2e-%s-%d", filepath.Base(filepath.Dir(newBin)), time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := harness.BuildProgram(ctx, shop.Root, name, newBin, ldflags); err != nil {
		t.Fatal(err)
	}
	built := time.Since(stopped)
	if err := shop.SetBinary(name, newBin); err != nil {
		t.Fatal(err)
	}
	shop.Start(t, name)
	t.Logf("upgraded %s: pid %d (%s) -> pid %d (%s); built in %v, down for %v",
		name, oldPid, oldBin, shop.Pid(name), newBin, built.Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))

	if flags, err := harness.BuildFlags(newBin); err != nil || flags != ldflags {
		t.Errorf("build information of %s: -ldflags %q (%v), want %q", newBin, flags, err, ldflags)
	}
	if newSum := fileSum(t, newBin); newBin == oldBin || newSum == oldSum {
		t.Errorf("new binary of %s is the old one: %s sha256 %s, old %s sha256 %s", name, newBin, newSum, oldBin, oldSum)
	}
	checkServedByRelease(t, shop, name, newBin)
	for p, pid := range others {
		if now := shop.Pid(p); now != pid {
			t.Errorf("upgrading %s touched %s: pid %d before, %d after", name, p, pid, now)
		}
	}
}

// checkServedByRelease checks that the process now running a program was
// started from bin, and waits until that process has consumed messages.
func checkServedByRelease(t *testing.T, shop *harness.Shop, name, bin string) {
	t.Helper()
	pid := shop.Pid(name)
	if exe, err := harness.Executable(pid); err != nil || exe != bin {
		t.Errorf("%s runs as pid %d from %q (%v), want %s", name, pid, exe, err, bin)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		counts, err := shop.Messages(context.Background(), shop.URL(name))
		if err == nil && harness.Handled(counts, "ok") > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the new %s (pid %d) consumed no message within 2m: %v %v", name, pid, counts, err)
			return
		}
		time.Sleep(250 * time.Millisecond) // polling
	}
}

// expectedOutcome is the one end an order may reach when no saga gives up:
// the token decides payment, the out-of-stock title cancels and refunds.
func expectedOutcome(o harness.Order) string {
	switch {
	case o.PaymentToken != "tok_visa" && o.PaymentToken != "tok_mastercard":
		return "declined"
	case slices.ContainsFunc(o.Items, func(it msg.Item) bool { return it.ISBN == harness.OutOfStock }):
		return "cancelled"
	}
	return "completed"
}

// split cuts orders into n nearly equal chunks.
func split(orders []harness.Order, n int) [][]harness.Order {
	out := make([][]harness.Order, n)
	for i := range out {
		out[i] = orders[i*len(orders)/n : (i+1)*len(orders)/n]
	}
	return out
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	sum, err := harness.FileSum(path)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// Issue 5, rolling upgrades of the message contracts, on the real billing
// program: a command from a newer producer (fields this build does not
// know, in the envelope and the payload) is served; one missing a required
// field, and one of a version this build cannot read, end in
// billing.dead-letter with a reason naming what is wrong, and nothing is
// charged for them.
func TestMessageContractsAcrossVersions(t *testing.T) {
	t.Parallel() // each test has its own vhost, databases and ports
	shop := harness.Start(t, harness.Options{Programs: []string{"billing"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tap, err := harness.NewTap(ctx, shop.AMQPURL, msg.Orchestrator) // billing's replies
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()

	newer, missing, future := msg.NewID(), msg.NewID(), msg.NewID()
	const sentAt = `"sent_at":"2026-11-25T10:30:00Z"`
	commands := map[string]string{
		newer: fmt.Sprintf(`{"id":%q,"type":"ChargePayment","version":%d,"correlation_id":%[1]q,`+sentAt+`,
			"trace_id":"4bf92f3577b34da6","producer":{"name":"orchestrator","release":"next"},
			"payload":{"order_id":%[1]q,"amount_cents":4299,"currency":"EUR","payment_token":"tok_visa",
				"installments":3,"billing_address":{"country":"GB"}}}`, newer, msg.Version),
		missing: fmt.Sprintf(`{"id":%q,"type":"ChargePayment","version":%d,"correlation_id":%[1]q,`+sentAt+`,
			"payload":{"order_id":%[1]q,"currency":"EUR","payment_token":"tok_visa"}}`, missing, msg.Version),
		future: fmt.Sprintf(`{"id":%q,"type":"ChargePayment","version":%d,"correlation_id":%[1]q,`+sentAt+`,
			"payload":{"order_id":%[1]q,"amount_cents":4299,"currency":"EUR","payment_token":"tok_visa"}}`, future, msg.Version+1),
	}
	var ps []rabbit.Publishing
	for id, body := range commands {
		ps = append(ps, rabbit.Publishing{RoutingKey: msg.Billing, MessageID: id, Type: "ChargePayment", CorrelationID: id, Body: []byte(body)})
	}
	if err := shop.PublishRaw(ctx, ps...); err != nil {
		t.Fatal(err)
	}

	reply := awaitReply(t, tap, newer, 60*time.Second)
	if reply.Type != "PaymentCharged" {
		t.Errorf("reply to the newer producer's command: %s, want PaymentCharged", reply.Type)
	}
	shop.ExpectedDeadLetters[msg.Billing] = 2
	awaitDepth(t, shop, msg.Billing+".dead-letter", 2, 60*time.Second)
	reasons := deadLetterReasons(t, shop.AMQPURL, msg.Billing+".dead-letter")
	for id, want := range map[string]string{missing: "amount_cents", future: fmt.Sprintf("unsupported version %d", msg.Version+1)} {
		r, ok := reasons[id]
		if !ok {
			t.Errorf("command %s not in billing.dead-letter (holds %v)", id, reasons)
			continue
		}
		if !strings.Contains(r.reason, want) || r.queue != msg.Billing {
			t.Errorf("dead letter %s: %s=%q %s=%q, want a reason naming %q from queue billing",
				id, rabbit.HeaderDeathReason, r.reason, rabbit.HeaderOriginalQueue, r.queue, want)
		}
		t.Logf("dead letter %s: %s", id, r.reason)
	}
	awaitLogLine(t, shop.LogPath(msg.Billing), missing, "dead-letter", "amount_cents")
	for id, want := range map[string]int{newer: 1, missing: 0, future: 0} {
		pays, err := shop.Payments(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(pays) != want {
			t.Errorf("order %s: %d payment attempts %+v, want %d", id, len(pays), pays, want)
		}
	}
	if depths := shop.DeadLetters(t); depths[msg.Billing] != 2 {
		t.Errorf("billing.dead-letter holds %d after reading it, want the 2 kept", depths[msg.Billing])
	}
}

// awaitReply waits for the reply caused by command id.
func awaitReply(t *testing.T, tap *harness.Tap, id string, timeout time.Duration) msg.Envelope {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case env, ok := <-tap.Events:
			if !ok {
				t.Fatal("tap closed before the reply came")
			}
			if env.CausationID == id {
				return env
			}
		case <-deadline:
			t.Fatalf("no reply to command %s within %v", id, timeout)
		}
	}
}

// awaitDepth waits until a queue holds want messages.
func awaitDepth(t *testing.T, shop *harness.Shop, queue string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		depths, err := harness.QueueDepths(shop.AMQPURL)
		if err != nil {
			t.Fatal(err)
		}
		if depths[queue] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s holds %d messages after %v, want %d", queue, depths[queue], timeout, want)
		}
		time.Sleep(200 * time.Millisecond) // polling
	}
}

type deadLetter struct{ reason, queue string }

// deadLetterReasons reads every message of a dead-letter queue without
// taking it (they are requeued when the channel closes) and returns the
// x-death-reason and x-original-queue of each, by message id.
func deadLetterReasons(t *testing.T, amqpURL, queue string) map[string]deadLetter {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]deadLetter{}
	for {
		d, ok, err := ch.Get(queue, false)
		if err != nil {
			t.Fatalf("get from %s: %v", queue, err)
		}
		if !ok {
			break
		}
		reason, _ := d.Headers[rabbit.HeaderDeathReason].(string)
		orig, _ := d.Headers[rabbit.HeaderOriginalQueue].(string)
		out[d.MessageId] = deadLetter{reason: reason, queue: orig}
	}
	if err := ch.Close(); err != nil { // requeues what we got
		t.Fatalf("close channel on %s: %v", queue, err)
	}
	return out
}
