package rabbit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/rabbit/rabbittest"
)

func testLogger() *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testConfig is a Config for a fresh vhost, with short delays.
func testConfig(t *testing.T) Config {
	return Config{
		URL:              rabbittest.VHost(t),
		ConnectionName:   "test-" + t.Name(),
		RequeueDelay:     20 * time.Millisecond,
		ReconnectInitial: 20 * time.Millisecond,
		ReconnectMax:     200 * time.Millisecond,
	}
}

// startConsumer runs a consumer until the test ends and checks Run's result.
func startConsumer(t *testing.T, cfg Config, queue string, h BatchHandler) *Consumer {
	c := NewConsumer(cfg, queue, h, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return c
}

func newTestPublisher(t *testing.T, cfg Config) *Publisher {
	p := NewPublisher(cfg, testLogger())
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close publisher: %v", err)
		}
	})
	return p
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder remembers every delivery a handler saw, by message id.
type recorder struct {
	mu   sync.Mutex
	seen map[string][]Delivery
}

func newRecorder() *recorder { return &recorder{seen: map[string][]Delivery{}} }

func (r *recorder) add(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[d.MessageID] = append(r.seen[d.MessageID], d)
}

func (r *recorder) get(id string) []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen[id])
}

// count returns how many deliveries were seen in all.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ds := range r.seen {
		n += len(ds)
	}
	return n
}

// missing returns the ids not seen yet.
func (r *recorder) missing(ids []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range ids {
		if len(r.seen[id]) == 0 {
			out = append(out, id)
		}
	}
	return out
}

// ackAll is a handler that records every delivery and acks it.
func (r *recorder) ackAll(_ context.Context, ds []Delivery) []error {
	for _, d := range ds {
		r.add(d)
	}
	return make([]error, len(ds))
}

func messages(queue, prefix string, n int) ([]Publishing, []string) {
	msgs := make([]Publishing, n)
	ids := make([]string, n)
	for i := range msgs {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
		msgs[i] = Publishing{
			RoutingKey:    queue,
			MessageID:     ids[i],
			Type:          "test.Message",
			CorrelationID: "order-" + ids[i],
			Body:          []byte(fmt.Sprintf(`{"n":%d}`, i)),
		}
	}
	return msgs, ids
}
