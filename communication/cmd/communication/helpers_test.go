package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
)

// syncBuffer collects the program's log output across goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the program as main would, with env as its environment, and
// stops it when the test ends, failing the test if it does not stop cleanly.
func start(t *testing.T, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"communication"}, func(k string) string { return env[k] }, out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v; log:\n%s", err, out.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("run did not stop within 10s of cancel; log:\n%s", out.String())
		}
	})
}

// replies consumes the orchestrator queue of the vhost.
func replies(t *testing.T, url string) <-chan msg.Envelope {
	t.Helper()
	ch := make(chan msg.Envelope, 16)
	consume(t, url, msg.Orchestrator, func(d rabbit.Delivery) error {
		env, _, err := msg.Decode(d.Body)
		if err == nil {
			ch <- env
		}
		return err
	})
	return ch
}

// deadLetters consumes communication's dead-letter queue of the vhost.
func deadLetters(t *testing.T, url string) <-chan rabbit.Delivery {
	t.Helper()
	ch := make(chan rabbit.Delivery, 16)
	consume(t, url, rabbit.DeadLetterQueue(msg.Communication), func(d rabbit.Delivery) error {
		ch <- d
		return nil
	})
	return ch
}

// consume runs a consumer of queue until the test ends.
func consume(t *testing.T, url, queue string, handle func(rabbit.Delivery) error) {
	t.Helper()
	h := func(_ context.Context, ds []rabbit.Delivery) []error {
		errs := make([]error, len(ds))
		for i, d := range ds {
			errs[i] = handle(d)
		}
		return errs
	}
	c := rabbit.NewConsumer(rabbit.Config{URL: url, ConnectionName: "test-" + queue}, queue, h, discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func publish(t *testing.T, pub *rabbit.Publisher, id string, m msg.Message, orderID string) {
	t.Helper()
	env, err := msg.NewWithID(id, m, orderID, "cause-"+id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = pub.Publish(ctx, []rabbit.Publishing{{RoutingKey: msg.Communication, MessageID: env.ID,
		Type: env.Type, CorrelationID: orderID, Body: body}})
	if err != nil {
		t.Fatal(err)
	}
}

// nextEmailSent waits for the next reply, with a deadline.
func nextEmailSent(t *testing.T, ch <-chan msg.Envelope) (msg.Envelope, msg.EmailSent) {
	t.Helper()
	select {
	case env := <-ch:
		var sent msg.EmailSent
		if env.Type != "EmailSent" {
			t.Fatalf("reply %s is a %s, want EmailSent", env.ID, env.Type)
		}
		if err := json.Unmarshal(env.Payload, &sent); err != nil {
			t.Fatal(err)
		}
		return env, sent
	case <-time.After(15 * time.Second):
		t.Fatal("no reply on the orchestrator queue within 15s")
	}
	panic("unreachable")
}

func getJSON(t *testing.T, url string, status int, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
}

func getText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))
