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
// flight: Publish reports it, and the next call reconnects.
func TestPublishConnectionLost(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	p := newTestPublisher(t, cfg)
	ctx := context.Background()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		rabbittest.CloseConnections(t, cfg.URL)
	}()
	// Batches back to back, so the close lands inside one; rabbitmqctl may
	// return a little before the client hears of the close.
	var failed error
	deadline := time.Now().Add(time.Minute)
	for i := 0; failed == nil && time.Now().Before(deadline); i++ {
		select {
		case <-closed:
			closed, deadline = nil, time.Now().Add(time.Second)
		default:
		}
		msgs, _ := messages("fulfillment", fmt.Sprintf("lost%04d", i), 2000)
		failed = p.Publish(ctx, msgs)
	}
	if failed == nil {
		t.Fatal("every Publish succeeded although the connection was closed")
	}
	t.Logf("Publish during the close: %v", failed)
	if errors.Is(failed, ErrUnroutable) {
		t.Errorf("error = %v, want a connection error", failed)
	}
	msgs, _ := messages("fulfillment", "after", 1)
	if err := p.Publish(ctx, msgs); err != nil {
		t.Fatalf("Publish after reconnecting: %v", err)
	}
}
