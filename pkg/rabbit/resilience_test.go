package rabbit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"bookshop/pkg/rabbit/rabbittest"
)

// TestReconnect closes every connection of the vhost mid-stream: the
// publisher retries failed batches as the outbox relay does, the consumer
// reconnects, and every message arrives.
func TestReconnect(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.BatchSize = 10
	rec := newRecorder()
	c := startConsumer(t, cfg, "orchestrator", rec.ackAll)
	p := newTestPublisher(t, cfg)

	var failures atomic.Int32
	var sent []string // read only after published is closed
	stop, published := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(published)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			msgs, ids := messages("orchestrator", fmt.Sprintf("reconnect%04d", i), 10)
			for p.Publish(context.Background(), msgs) != nil {
				failures.Add(1)
				time.Sleep(20 * time.Millisecond)
			}
			sent = append(sent, ids...)
			time.Sleep(5 * time.Millisecond) // pace, so that the close lands mid-stream
		}
	}()
	waitFor(t, 10*time.Second, "50 messages", func() bool { return rec.count() >= 50 })
	rabbittest.CloseConnections(t, cfg.URL)
	after := rec.count()
	waitFor(t, 20*time.Second, "100 messages after the close", func() bool { return rec.count() >= after+100 })
	close(stop)
	<-published
	waitFor(t, 20*time.Second, "every message sent", func() bool { return len(rec.missing(sent)) == 0 })
	waitFor(t, 10*time.Second, "a reconnected consumer", c.Connected)
	if !p.Connected() {
		t.Errorf("publisher not connected after the close")
	}
	t.Logf("%d messages; publish failures during the close: %d", len(sent), failures.Load())
}

// TestStaleAckIsDropped is the trap that lost messages with amqp091's own
// recovery: a handler finishes after its connection died, and its ack must
// not land on the new connection, where the same delivery tag means another
// message. The blocked message comes back, and no other one is lost.
func TestStaleAckIsDropped(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Prefetch = 10
	rec := newRecorder()
	entered, release := make(chan string, 1), make(chan struct{})
	var blocked atomic.Bool
	c := startConsumer(t, cfg, "frontend", func(_ context.Context, ds []Delivery) []error {
		rec.add(ds[0])
		if blocked.CompareAndSwap(false, true) {
			entered <- ds[0].MessageID
			<-release
		}
		return []error{nil}
	})
	msgs, ids := messages("frontend", "stale", 20)
	publish(t, newTestPublisher(t, cfg), msgs)

	id := <-entered
	rabbittest.CloseConnections(t, cfg.URL)
	waitFor(t, 10*time.Second, "the consumer to see its connection close", func() bool { return !c.Connected() })
	close(release)

	waitFor(t, 20*time.Second, "every message", func() bool { return len(rec.missing(ids)) == 0 })
	waitFor(t, 10*time.Second, "the blocked message again", func() bool { return len(rec.get(id)) >= 2 })
	if again := rec.get(id)[1]; !again.Redelivered {
		t.Errorf("second delivery of %s: Redelivered = false", id)
	}
	waitFor(t, 10*time.Second, "frontend queue to drain", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "frontend") == 0
	})
}

// TestShutdownFinishesBatch cancels Run while the handler holds a delivery:
// the handler's context stays alive, its delivery is acked, and the next
// message is left in the queue.
func TestShutdownFinishesBatch(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	rec := newRecorder()
	entered, release := make(chan struct{}), make(chan struct{})
	var handlerCtxErr atomic.Value
	c := NewConsumer(cfg, "billing", func(ctx context.Context, ds []Delivery) []error {
		rec.add(ds[0])
		close(entered)
		<-release
		handlerCtxErr.Store(errString(ctx.Err()))
		return []error{nil}
	}, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	msgs, ids := messages("billing", "shutdown", 2)
	publish(t, newTestPublisher(t, cfg), msgs)

	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned %v while the handler was still running", err)
	default:
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the handler finished")
	}
	if got := handlerCtxErr.Load(); got != "" {
		t.Errorf("handler context error during shutdown = %q, want none", got)
	}
	if len(rec.get(ids[0])) != 1 || len(rec.get(ids[1])) != 0 {
		t.Errorf("handled %v, want only %s", rec.seen, ids[0])
	}
	waitFor(t, 10*time.Second, "only the unhandled message left", func() bool {
		return rabbittest.QueueDepth(t, cfg.URL, "billing") == 1
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestBrokerUnreachable: Run keeps retrying, reports not connected, and
// still returns promptly once cancelled.
func TestBrokerUnreachable(t *testing.T) {
	t.Parallel()
	cfg := Config{URL: "amqp://guest:guest@127.0.0.1:1/none", ReconnectInitial: time.Millisecond, ReconnectMax: 20 * time.Millisecond}
	var attempts atomic.Int32
	c := NewConsumer(cfg, "billing", nil, testLogger())
	c.jitter = func() float64 { attempts.Add(1); return 0.5 }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	waitFor(t, 10*time.Second, "several attempts", func() bool { return attempts.Load() >= 5 })
	if c.Connected() {
		t.Errorf("Connected() = true without a broker")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
