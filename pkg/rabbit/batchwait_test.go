package rabbit

import (
	"context"
	"testing"
	"time"
)

// With BatchWait a batch that is not full waits for more deliveries: three
// messages published apart arrive in one batch, which is handed over as
// soon as it is full, long before the wait is over. A lone message is
// handed over once the wait is over.
func TestBatchWait(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.BatchSize = 3
	cfg.BatchWait = time.Minute
	batches := make(chan []string, 10)
	startConsumer(t, cfg, "fulfillment", func(_ context.Context, ds []Delivery) []error {
		ids := make([]string, len(ds))
		for i, d := range ds {
			ids[i] = d.MessageID
		}
		batches <- ids
		return make([]error, len(ds))
	})
	pub := newTestPublisher(t, cfg)
	msgs, _ := messages("fulfillment", "wait", 3)
	start := time.Now()
	for _, m := range msgs {
		publish(t, pub, []Publishing{m}) // one confirm round each: they arrive apart
	}
	select {
	case got := <-batches:
		if len(got) != 3 {
			t.Fatalf("first batch %v, want all three messages in one batch", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no batch within 30s: a full batch waited for BatchWait")
	}
	if waited := time.Since(start); waited >= cfg.BatchWait {
		t.Fatalf("a full batch was handed over after %v, the whole BatchWait", waited)
	}

	cfg2 := testConfig(t)
	cfg2.BatchSize = 3
	cfg2.BatchWait = 200 * time.Millisecond
	lone := make(chan int, 10)
	startConsumer(t, cfg2, "billing", func(_ context.Context, ds []Delivery) []error {
		lone <- len(ds)
		return make([]error, len(ds))
	})
	one, _ := messages("billing", "lone", 1)
	publish(t, newTestPublisher(t, cfg2), one)
	select {
	case n := <-lone:
		if n != 1 {
			t.Fatalf("batch of %d, want the lone message", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a lone message was never handed over")
	}
}
