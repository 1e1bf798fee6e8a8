package rabbit

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"bookshop/pkg/rabbit/rabbittest"
)

func TestPublishConsumeMany(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.BatchSize = 50
	rec := newRecorder()
	startConsumer(t, cfg, "billing", rec.ackAll)
	p := newTestPublisher(t, cfg)

	msgs, ids := messages("billing", "many", 500)
	if err := p.Publish(context.Background(), msgs); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !p.Connected() {
		t.Errorf("Connected() = false after a successful Publish")
	}
	waitFor(t, 15*time.Second, "all 500 messages", func() bool { return len(rec.missing(ids)) == 0 })
	waitFor(t, 10*time.Second, "billing queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "billing") == 0
	})
	d := rec.get(ids[7])[0]
	if d.Queue != "billing" || d.Type != "test.Message" || d.CorrelationID != "order-"+ids[7] || string(d.Body) != `{"n":7}` {
		t.Errorf("delivery = %+v, want the published fields", d)
	}
}

func TestPublishUnroutable(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	p := newTestPublisher(t, cfg)
	ctx := context.Background()

	good, _ := messages("billing", "good", 2)
	bad, _ := messages("no-such-queue", "bad", 1)
	err := p.Publish(ctx, append(good, bad...))
	if !errors.Is(err, ErrUnroutable) {
		t.Fatalf("Publish to a queue that does not exist = %v, want ErrUnroutable", err)
	}
	// The channel stays usable after a return.
	if err := p.Publish(ctx, good); err != nil {
		t.Fatalf("Publish after an unroutable batch: %v", err)
	}
	waitFor(t, 10*time.Second, "4 messages in billing", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "billing") == 4
	})
}

func TestPublishAfterClose(t *testing.T) {
	t.Parallel()
	p := NewPublisher(Config{URL: "amqp://guest:secret@127.0.0.1:1/none"}, testLogger())
	msgs, _ := messages("billing", "x", 1)
	err := p.Publish(context.Background(), msgs)
	if err == nil {
		t.Fatalf("Publish to a closed port succeeded")
	}
	if got := err.Error(); contains(got, "secret") {
		t.Errorf("error leaks the password: %s", got)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Publish(context.Background(), msgs); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
}

// TestPublishConnectionLost closes the connection while batches are in
// flight: a Publish caught by the close reports a connection error, no
// Publish that returned nil lost a message, and the next call reconnects.
//
// Whether rabbitmqctl's close lands inside a batch or in the short gap
// between two is up to the scheduler (in the gap the next call reconnects
// silently, which is also correct), so the scenario is run up to five
// times until a close has hit a batch in flight; a Publish that never
// reports a lost connection fails every round.
func TestPublishConnectionLost(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	p := newTestPublisher(t, cfg)
	ctx := context.Background()
	confirmed := 0 // messages of batches Publish reported as confirmed
	var failed error
	for round := 0; failed == nil && round < 5; round++ {
		batches := make([][]Publishing, 40)
		for i := range batches {
			batches[i], _ = messages("fulfillment", fmt.Sprintf("lost%d-%04d", round, i), 2000)
		}
		if err := p.Connect(ctx); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			rabbittest.CloseConnections(t, cfg.URL)
		}()
		// Batches back to back until a little after rabbitmqctl returned
		// (it may return before the client hears of the close).
		deadline := time.Now().Add(time.Minute)
		for i := 0; failed == nil && time.Now().Before(deadline); i++ {
			select {
			case <-closed:
				closed, deadline = nil, time.Now().Add(time.Second)
			default:
			}
			b := batches[i%len(batches)]
			if failed = p.Publish(ctx, b); failed == nil {
				confirmed += len(b)
			}
		}
		if closed != nil {
			<-closed
		}
		t.Logf("round %d: Publish during the close: %v", round, failed)
	}
	if failed == nil {
		t.Fatal("in five rounds no Publish reported the connection closed under it")
	}
	if errors.Is(failed, ErrUnroutable) {
		t.Errorf("error = %v, want a connection error", failed)
	}
	msgs, _ := messages("fulfillment", "after", 1)
	if err := p.Publish(ctx, msgs); err != nil {
		t.Fatalf("Publish after reconnecting: %v", err)
	}
	confirmed++
	// A batch that failed may have been partly enqueued, so at least; the
	// broker's queue statistics lag by a few seconds.
	waitFor(t, 30*time.Second, fmt.Sprintf("the %d confirmed messages in fulfillment", confirmed), func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "fulfillment") >= confirmed
	})
}
