package rabbit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
	amqp "github.com/rabbitmq/amqp091-go"
)

// putDeadLetters publishes n messages straight into queue's dead-letter
// queue, as the consumer would have dead-lettered them, and returns their
// ids in order.
func putDeadLetters(t *testing.T, cfg Config, queue, prefix string, n int) []string {
	t.Helper()
	var out []outgoing
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		ids = append(ids, id)
		out = append(out, outgoing{exchange: DeadLetterExchange, key: queue, msg: amqp.Publishing{
			MessageId: id, Type: "test.Message", CorrelationId: "order-" + id, DeliveryMode: amqp.Persistent,
			Body: []byte(fmt.Sprintf(`{"n":%d}`, i)),
			Headers: amqp.Table{HeaderDeathReason: "validate " + id + ": bad", HeaderOriginalQueue: queue,
				HeaderDeadLetteredAt: "2026-11-25T12:00:00Z"},
		}})
	}
	publishRaw(t, cfg, out)
	return ids
}

// publishRaw declares the topology and publishes out as it is, confirmed:
// what no Publisher would send.
func publishRaw(t *testing.T, cfg Config, out []outgoing) {
	t.Helper()
	ctx := context.Background()
	conn, err := dial(ctx, cfg.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cc, err := newConfirmChannel(conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := declare(cc.ch, cfg.withDefaults().DeliveryLimit); err != nil {
		t.Fatal(err)
	}
	if err := cc.publish(ctx, out); err != nil {
		t.Fatal(err)
	}
}

func listIDs(t *testing.T, cfg Config, queues ...string) []string {
	t.Helper()
	dls, err := ListDeadLetters(context.Background(), cfg, queues, 1000)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(dls))
	for i, d := range dls {
		ids[i] = d.ID
	}
	return ids
}

// Listing, deleting and replaying keep every other message, in its order,
// on a quorum queue holding more messages than a small Erlang map (32).
func TestDeadLettersKeepOrder(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	dlq := DeadLetterQueue("billing")
	ids := putDeadLetters(t, cfg, "billing", "dl", 50)
	for range 2 {
		if diff := cmp.Diff(ids, listIDs(t, cfg, dlq)); diff != "" {
			t.Fatalf("listing (-want +got):\n%s", diff)
		}
	}
	if _, err := DeleteDeadLetter(ctx, cfg, []string{dlq}, "dl-010"); err != nil {
		t.Fatal(err)
	}
	dl, err := ReplayDeadLetter(ctx, cfg, []string{DeadLetterQueue("orchestrator"), dlq}, "dl-030", nil)
	if err != nil {
		t.Fatal(err)
	}
	if dl.Queue != dlq || dl.OriginalQueue != "billing" || dl.Reason != "validate dl-030: bad" {
		t.Errorf("replayed %+v", dl)
	}
	if _, err := ReplayDeadLetter(ctx, cfg, []string{dlq}, "dl-040", []byte(`{"fixed":true}`)); err != nil {
		t.Fatal(err)
	}
	for _, missing := range []string{"dl-010", "nope"} {
		if _, err := DeleteDeadLetter(ctx, cfg, []string{dlq}, missing); !errors.Is(err, ErrDeadLetterNotFound) {
			t.Errorf("delete %s: %v, want ErrDeadLetterNotFound", missing, err)
		}
	}
	want := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "dl-010" || id == "dl-030" || id == "dl-040" })
	if diff := cmp.Diff(want, listIDs(t, cfg, dlq)); diff != "" {
		t.Errorf("left in the dead-letter queue (-want +got):\n%s", diff)
	}
	counts, err := CountDeadLetters(ctx, cfg, []string{dlq, DeadLetterQueue("frontend")})
	if err != nil || counts[dlq] != 47 || counts[DeadLetterQueue("frontend")] != 0 {
		t.Errorf("counts %v (%v), want 47 and 0", counts, err)
	}
	replayed := getAll(t, cfg, "billing")
	if len(replayed) != 2 || replayed[0].MessageId != "dl-030" || string(replayed[1].Body) != `{"fixed":true}` {
		t.Fatalf("billing queue got %d messages: %+v", len(replayed), replayed)
	}
	for _, h := range []string{HeaderDeathReason, HeaderOriginalQueue, HeaderDeadLetteredAt} {
		if _, ok := replayed[0].Headers[h]; ok {
			t.Errorf("replayed message still carries %s", h)
		}
	}
	if replayed[0].Type != "test.Message" || replayed[0].CorrelationId != "order-dl-030" || replayed[0].DeliveryMode != amqp.Persistent {
		t.Errorf("replayed message lost its properties: %+v", replayed[0])
	}
}

// getAll takes every message off a queue (acked).
func getAll(t *testing.T, cfg Config, queue string) []amqp.Delivery {
	t.Helper()
	conn, err := dial(context.Background(), cfg.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(queue, true /* autoAck */)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// A message the consumer dead-letters is listed with its reason, origin
// and time; one without a message id gets an id from its body.
func TestDeadLettersFromTheConsumer(t *testing.T) {
	cfg := testConfig(t)
	startConsumer(t, cfg, "fulfillment", func(_ context.Context, ds []Delivery) []error {
		return repeatErr(msg.Permanent(errors.New("validate ScheduleDelivery: items are required")), len(ds))
	})
	pub := newTestPublisher(t, cfg)
	before := time.Now().Add(-time.Second)
	err := pub.Publish(context.Background(), []Publishing{
		{RoutingKey: "fulfillment", MessageID: "poison-1", Type: "ScheduleDelivery", CorrelationID: "o1", Body: []byte(`{}`)},
		{RoutingKey: "fulfillment", Body: []byte(strings.Repeat("x", 300))},
	})
	if err != nil {
		t.Fatal(err)
	}
	var dls []DeadLetter
	waitFor(t, 10*time.Second, "two dead letters", func() bool {
		dls, err = ListDeadLetters(context.Background(), cfg, []string{DeadLetterQueue("fulfillment")}, 10)
		return err == nil && len(dls) == 2
	})
	d := dls[0]
	if d.ID != "poison-1" || d.OriginalQueue != "fulfillment" || d.Type != "ScheduleDelivery" ||
		!strings.Contains(d.Reason, "items are required") || d.DeadLetteredAt.Before(before) || string(d.Preview) != "{}" {
		t.Errorf("consumer's dead letter listed as %+v", d)
	}
	if !strings.HasPrefix(dls[1].ID, "sha256-") || dls[1].Size != 300 || len(dls[1].Preview) != PreviewBytes {
		t.Errorf("dead letter without an id listed as id %q size %d preview %d", dls[1].ID, dls[1].Size, len(dls[1].Preview))
	}
	if _, err := DeleteDeadLetter(context.Background(), cfg, []string{DeadLetterQueue("fulfillment")}, dls[1].ID); err != nil {
		t.Errorf("delete by body hash: %v", err)
	}
}

// A message the broker dead-letters by itself (delivery limit) is listed
// with the broker's reason from x-death.
func TestDeadLettersFromTheBroker(t *testing.T) {
	cfg := testConfig(t)
	cfg.DeliveryLimit = 1
	ctx := context.Background()
	if err := Declare(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	pub := newTestPublisher(t, cfg)
	if err := pub.Publish(ctx, []Publishing{{RoutingKey: "communication", MessageID: "m1", Type: "SendEmail", Body: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	conn, err := dial(ctx, cfg.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // return it until the broker gives up on it
		d, ok, err := ch.Get("communication", false /* autoAck */)
		if err != nil || !ok {
			break
		}
		if err := ch.Nack(d.DeliveryTag, false /* multiple */, true /* requeue */); err != nil {
			t.Fatal(err)
		}
	}
	var dls []DeadLetter
	waitFor(t, 10*time.Second, "the broker's dead letter", func() bool {
		dls, err = ListDeadLetters(ctx, cfg, []string{DeadLetterQueue("communication")}, 10)
		return err == nil && len(dls) == 1
	})
	if d := dls[0]; d.ID != "m1" || d.OriginalQueue != "communication" || !strings.HasPrefix(d.Reason, "broker: ") || d.DeadLetteredAt.IsZero() {
		t.Errorf("broker's dead letter listed as %+v", d)
	}
}
