package rabbit

import (
	"context"
	"errors"
	"testing"
	"time"

	"bookshop/pkg/rabbit/rabbittest"
)

// A batch that succeeds whole is acked with one multiple ack; a batch with
// a failure settles each delivery on its own. Either way each message that
// succeeded is seen once, and the one that failed again until it succeeds.
func TestBatchAcks(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.BatchSize = 32
	rec := newRecorder()
	// Published before the consumer starts, so that batches are full.
	msgs, ids := messages("communication", "acks", 300)
	publish(t, newTestPublisher(t, cfg), msgs)
	batches := make(chan int, 1000)
	startConsumer(t, cfg, "communication", func(_ context.Context, ds []Delivery) []error {
		batches <- len(ds)
		errs := make([]error, len(ds))
		for i, d := range ds {
			rec.add(d)
			if d.MessageID == "acks-0100" && len(rec.get(d.MessageID)) == 1 {
				errs[i] = errors.New("try again")
			}
		}
		return errs
	})
	waitFor(t, 15*time.Second, "all 300 messages", func() bool { return len(rec.missing(ids)) == 0 })
	waitFor(t, 10*time.Second, "communication queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "communication") == 0
	})
	for _, id := range ids {
		want := 1
		if id == "acks-0100" {
			want = 2
		}
		if got := len(rec.get(id)); got != want {
			t.Errorf("%s delivered %d times, want %d", id, got, want)
		}
	}
	close(batches)
	biggest := 0
	for n := range batches {
		biggest = max(biggest, n)
	}
	if biggest < 2 {
		t.Errorf("largest batch %d: the multiple ack was never exercised", biggest)
	}
}
