// Package servicetest starts a bookshop program's real run function inside a
// test and talks to it over its HTTP API and a real RabbitMQ vhost. Every
// program's run test uses it, so the start/stop/wait rules live in one place.
package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"
)

// RunFunc is a program's run function.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error

// Program is a program started by Start.
type Program struct {
	Logs *SyncBuffer
}

// Start runs run as main would, with env as its whole environment, and stops
// it when the test ends: the test fails unless run returns nil within 10 s of
// its context being cancelled (SIGTERM). On failure the program's log is
// printed.
func Start(t testing.TB, name string, run RunFunc, env map[string]string) *Program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &Program{Logs: &SyncBuffer{}}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{name}, func(k string) string { return env[k] }, p.Logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: run returned %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: run did not stop within 10 s of cancel", name)
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.Logs.String())
		}
	})
	return p
}

// FreeAddr returns a loopback address with a port free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// WaitFor polls cond until it holds, failing the test after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitReady waits until http://addr/readyz answers 200.
func WaitReady(t testing.TB, addr string) {
	t.Helper()
	WaitFor(t, 15*time.Second, addr+"/readyz", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// Get GETs url and returns the response's status code, Content-Type and
// body, whatever the status; the test fails only if the request or reading
// the body fails.
func Get(t testing.TB, url string) (status int, contentType string, body []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %s, reading the body: %v", url, resp.Status, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// GetJSON GETs url, requires 200, and decodes the body into v.
func GetJSON(t testing.TB, url string, v any) {
	t.Helper()
	status, _, body := Get(t, url)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s %s", url, status, http.StatusText(status), body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decode %s: %v", url, body, err)
	}
}

// Publish sends envelopes to queue on the vhost at amqpURL, with confirms.
func Publish(t testing.TB, amqpURL, queue string, envs ...msg.Envelope) {
	t.Helper()
	pub := rabbit.NewPublisher(rabbit.Config{URL: amqpURL, ConnectionName: "test-publisher"}, nil)
	defer pub.Close()
	ps := make([]rabbit.Publishing, len(envs))
	for i, env := range envs {
		body, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = rabbit.Publishing{RoutingKey: queue, MessageID: env.ID, Type: env.Type,
			CorrelationID: env.CorrelationID, Body: body}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, ps); err != nil {
		t.Fatalf("publish to %s: %v", queue, err)
	}
}

// Envelope wraps m for order orderID, failing the test if m is invalid.
func Envelope(t testing.TB, m msg.Message, orderID string) msg.Envelope {
	t.Helper()
	env, err := msg.New(m, orderID, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// Consume receives every message arriving on queue of the vhost at amqpURL
// until the test ends (a test standing in for the service that owns it).
func Consume(t testing.TB, amqpURL, queue string) <-chan msg.Envelope {
	t.Helper()
	ch := make(chan msg.Envelope, 256)
	c := rabbit.NewConsumer(rabbit.Config{URL: amqpURL, ConnectionName: "test-" + queue}, queue,
		func(_ context.Context, ds []rabbit.Delivery) []error {
			errs := make([]error, len(ds))
			for i, d := range ds {
				env, _, err := msg.Decode(d.Body)
				if errs[i] = err; err == nil {
					ch <- env
				}
			}
			return errs
		}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// Next returns the next envelope from ch, failing the test after timeout.
func Next(t testing.TB, ch <-chan msg.Envelope, timeout time.Duration) msg.Envelope {
	t.Helper()
	select {
	case env := <-ch:
		return env
	case <-time.After(timeout):
		t.Fatalf("no message within %v", timeout)
		return msg.Envelope{}
	}
}

// Payload decodes env's payload as a T, failing the test unless env is a T:
// Payload[msg.EmailSent](t, env).
func Payload[T any, PT interface {
	*T
	msg.Message
}](t testing.TB, env msg.Envelope) T {
	t.Helper()
	var v T
	if want := PT(&v).MessageType(); env.Type != want {
		t.Fatalf("message %s is a %s, want %s: %s", env.ID, env.Type, want, env.Payload)
	}
	if err := json.Unmarshal(env.Payload, &v); err != nil {
		t.Fatalf("decode %s %s: %v", env.Type, env.ID, err)
	}
	return v
}

// SyncBuffer collects a program's log output across goroutines.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
