// Package rabbittest gives each test its own RabbitMQ vhost on the local
// broker, and the rabbitmqctl probes tests use to break and inspect it.
package rabbittest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// VHost creates a fresh vhost "bookshop-test-<random>" that guest may use,
// deletes it when the test ends, and returns its amqp URL. The broker is
// amqp://guest:guest@127.0.0.1:5672/ unless BOOKSHOP_TEST_AMQP names another.
func VHost(t testing.TB) string {
	t.Helper()
	name := "bookshop-test-" + strings.ToLower(rand.Text()[:12])
	ctl(t, "add_vhost", name)
	t.Cleanup(func() { ctl(t, "delete_vhost", name) })
	ctl(t, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
	base := os.Getenv("BOOKSHOP_TEST_AMQP")
	if base == "" {
		base = "amqp://guest:guest@127.0.0.1:5672/"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse BOOKSHOP_TEST_AMQP: %v", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// CloseConnections closes every client connection to the URL's vhost, and
// only that vhost: other tests share the broker.
func CloseConnections(t testing.TB, amqpURL string) {
	t.Helper()
	ctl(t, "close_all_connections", "-p", vhost(t, amqpURL), "test")
}

// QueueDepth returns the messages ready plus unacked in a queue of the URL's
// vhost, or -1 if there is no such queue.
func QueueDepth(t testing.TB, amqpURL, queue string) int {
	t.Helper()
	out := ctl(t, "list_queues", "-p", vhost(t, amqpURL), "name", "messages", "--formatter", "json", "--quiet")
	var rows []struct {
		Name     string `json:"name"`
		Messages int    `json:"messages"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("parse rabbitmqctl list_queues output %q: %v", out, err)
	}
	for _, r := range rows {
		if r.Name == queue {
			return r.Messages
		}
	}
	return -1
}

func vhost(t testing.TB, amqpURL string) string {
	t.Helper()
	u, err := url.Parse(amqpURL)
	if err != nil {
		t.Fatalf("parse amqp url: %v", err)
	}
	v := strings.TrimPrefix(u.Path, "/")
	if v == "" {
		t.Fatalf("amqp url has no vhost; refusing to touch the default one")
	}
	return v
}

// ctl runs rabbitmqctl and returns its standard output.
func ctl(t testing.TB, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("rabbitmqctl", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rabbitmqctl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}
