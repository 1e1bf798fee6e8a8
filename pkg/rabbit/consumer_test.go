package rabbit

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit/rabbittest"
)

func publish(t *testing.T, p *Publisher, msgs []Publishing) {
	t.Helper()
	if err := p.Publish(context.Background(), msgs); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func TestTransientErrorIsRetried(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	rec := newRecorder()
	startConsumer(t, cfg, "fulfillment", func(_ context.Context, ds []Delivery) []error {
		rec.add(ds[0])
		if len(rec.get(ds[0].MessageID)) < 3 {
			return []error{errors.New("database busy")}
		}
		return []error{nil}
	})
	msgs, ids := messages("fulfillment", "retry", 1)
	publish(t, newTestPublisher(t, cfg), msgs)

	waitFor(t, 10*time.Second, "third delivery", func() bool { return len(rec.get(ids[0])) >= 3 })
	waitFor(t, 10*time.Second, "fulfillment queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "fulfillment") == 0
	})
	var counts []int
	var redelivered []bool
	for _, d := range rec.get(ids[0]) {
		counts = append(counts, d.DeliveryCount)
		redelivered = append(redelivered, d.Redelivered)
	}
	if diff := cmp.Diff([]int{0, 1, 2}, counts); diff != "" {
		t.Errorf("delivery counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{false, true, true}, redelivered); diff != "" {
		t.Errorf("redelivered flags (-want +got):\n%s", diff)
	}
}

func TestPermanentErrorDeadLetters(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	rec, dead := newRecorder(), newRecorder()
	startConsumer(t, cfg, "communication", func(_ context.Context, ds []Delivery) []error {
		rec.add(ds[0])
		if strings.HasSuffix(ds[0].MessageID, "0000") {
			return []error{msg.Permanent(errors.New("unknown message type"))}
		}
		return []error{nil}
	})
	startConsumer(t, cfg, DeadLetterQueue("communication"), dead.ackAll)
	msgs, ids := messages("communication", "perm", 2)
	msgs[0].Headers = map[string]any{"x-causation-id": "c1"}
	publish(t, newTestPublisher(t, cfg), msgs)

	waitFor(t, 10*time.Second, "the good message after the bad one", func() bool { return len(rec.get(ids[1])) == 1 })
	waitFor(t, 10*time.Second, "the dead letter", func() bool { return len(dead.get(ids[0])) == 1 })
	d := dead.get(ids[0])[0]
	for k, want := range map[string]any{
		HeaderDeathReason:   "unknown message type",
		HeaderOriginalQueue: "communication",
		"x-causation-id":    "c1",
	} {
		if got := d.Headers[k]; got != want {
			t.Errorf("dead letter header %s = %v, want %v", k, got, want)
		}
	}
	at, _ := d.Headers[HeaderDeadLetteredAt].(string)
	if _, err := time.Parse(time.RFC3339Nano, at); err != nil {
		t.Errorf("dead letter header %s = %q: %v", HeaderDeadLetteredAt, at, err)
	}
	if d.Type != msgs[0].Type || d.CorrelationID != msgs[0].CorrelationID || string(d.Body) != string(msgs[0].Body) {
		t.Errorf("dead letter = %+v, want a copy of %+v", d, msgs[0])
	}
	if n := len(rec.get(ids[0])); n != 1 {
		t.Errorf("bad message handled %d times, want 1", n)
	}
	waitFor(t, 10*time.Second, "communication queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "communication") == 0
	})
}

func TestDeliveryLimitDeadLetters(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.DeliveryLimit = 3
	var calls atomic.Int32
	dead := newRecorder()
	startConsumer(t, cfg, "billing", func(_ context.Context, ds []Delivery) []error {
		calls.Add(1)
		return []error{errors.New("boom")}
	})
	startConsumer(t, cfg, DeadLetterQueue("billing"), dead.ackAll)
	msgs, ids := messages("billing", "limit", 1)
	publish(t, newTestPublisher(t, cfg), msgs)

	waitFor(t, 10*time.Second, "the dead letter", func() bool { return len(dead.get(ids[0])) == 1 })
	got := dead.get(ids[0])[0].Headers[HeaderDeathReason]
	if want := "delivery limit 3 reached: boom"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("handler called %d times, want 3", n)
	}
}
