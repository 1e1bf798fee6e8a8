// Package rabbittest gives each test its own RabbitMQ vhost on the local
// broker, and the probes tests use to break and inspect it.
//
// Creating, permitting and deleting vhosts and purging queues go through
// the management HTTP API when it answers (scripts/ensure-rabbitmq.sh
// enables it): one HTTP request instead of a rabbitmqctl run, which boots
// an Erlang VM (~0.7 s and a core's worth of CPU) each time. Without the
// API they fall back to rabbitmqctl. Queue depths and closing connections
// always use rabbitmqctl: the API's figures for those are statistics that
// lag by seconds, and a test must never read a stale depth of 0.
package rabbittest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultURL is the broker tests use unless BOOKSHOP_TEST_AMQP names another.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// VHost creates a fresh vhost "bookshop-test-<random>" that guest may use,
// deletes it when the test ends, and returns its amqp URL. The broker is
// amqp://guest:guest@127.0.0.1:5672/ unless BOOKSHOP_TEST_AMQP names another.
func VHost(t testing.TB) string {
	t.Helper()
	base := os.Getenv("BOOKSHOP_TEST_AMQP")
	if base == "" {
		base = DefaultURL
	}
	u, remove, err := NewVHost(base, "bookshop-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := remove(); err != nil {
			t.Error(err)
		}
	})
	return u
}

// NewVHost creates a fresh vhost named prefix plus a random suffix on the
// broker of base (an amqp URL; its user gets every permission on the new
// vhost) and returns the new vhost's URL and a function deleting it.
func NewVHost(base, prefix string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("parse amqp url: %w", err)
	}
	user := u.User.Username()
	if user == "" {
		user = "guest"
	}
	name := prefix + strings.ToLower(rand.Text()[:12])
	var remove func() error
	if api := managementAPI(u); api != nil {
		if err := api.do(http.MethodPut, "/api/vhosts/"+url.PathEscape(name), nil); err != nil {
			return "", nil, err
		}
		remove = func() error { return api.do(http.MethodDelete, "/api/vhosts/"+url.PathEscape(name), nil) }
		perms := map[string]string{"configure": ".*", "write": ".*", "read": ".*"}
		if err := api.do(http.MethodPut, "/api/permissions/"+url.PathEscape(name)+"/"+url.PathEscape(user), perms); err != nil {
			remove()
			return "", nil, err
		}
	} else {
		if _, err := Ctl("add_vhost", name); err != nil {
			return "", nil, err
		}
		remove = func() error { _, err := Ctl("delete_vhost", name); return err }
		if _, err := Ctl("set_permissions", "-p", name, user, ".*", ".*", ".*"); err != nil {
			remove()
			return "", nil, err
		}
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), remove, nil
}

// CloseConnections closes every client connection to the URL's vhost, and
// only that vhost: other tests share the broker.
func CloseConnections(t testing.TB, amqpURL string) {
	t.Helper()
	v := vhost(t, amqpURL)
	if _, err := Ctl("close_all_connections", "-p", v, "test"); err != nil {
		t.Fatal(err)
	}
}

// QueueDepth returns the messages ready plus unacked in a queue of the URL's
// vhost, or -1 if there is no such queue.
func QueueDepth(t testing.TB, amqpURL, queue string) int {
	t.Helper()
	depths, err := QueueDepths(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := depths[queue]; ok {
		return n
	}
	return -1
}

// QueueDepths returns ready plus unacked messages of every queue in the
// URL's vhost, as the broker counts them now (rabbitmqctl list_queues).
func QueueDepths(amqpURL string) (map[string]int, error) {
	v, err := vhostOf(amqpURL)
	if err != nil {
		return nil, err
	}
	out, err := Ctl("list_queues", "-p", v, "name", "messages", "--formatter", "json", "--quiet")
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Name     string `json:"name"`
		Messages int    `json:"messages"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, fmt.Errorf("parse rabbitmqctl list_queues output %q: %w", out, err)
	}
	depths := make(map[string]int, len(rows))
	for _, r := range rows {
		depths[r.Name] = r.Messages
	}
	return depths, nil
}

// PurgeQueue drops every ready message of a queue in the URL's vhost.
func PurgeQueue(amqpURL, queue string) error {
	v, err := vhostOf(amqpURL)
	if err != nil {
		return err
	}
	u, _ := url.Parse(amqpURL)
	if api := managementAPI(u); api != nil {
		return api.do(http.MethodDelete, "/api/queues/"+url.PathEscape(v)+"/"+url.PathEscape(queue)+"/contents", nil)
	}
	_, err = Ctl("purge_queue", "-p", v, queue)
	return err
}

func vhost(t testing.TB, amqpURL string) string {
	t.Helper()
	v, err := vhostOf(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func vhostOf(amqpURL string) (string, error) {
	u, err := url.Parse(amqpURL)
	if err != nil {
		return "", fmt.Errorf("parse amqp url: %w", err)
	}
	v := strings.TrimPrefix(u.Path, "/")
	if v == "" {
		return "", fmt.Errorf("amqp url %s names no vhost; refusing to touch the default one", u.Redacted())
	}
	return v, nil
}

// Ctl runs rabbitmqctl and returns its standard output.
func Ctl(args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("rabbitmqctl", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("rabbitmqctl %s: %w\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// api is the broker's management HTTP API.
type api struct {
	base       string // http://host:15672
	user, pass string
}

var probed sync.Map // amqp host → *api, or nil when the API does not answer

// managementAPI returns the management API of the broker of u, or nil when
// it does not answer (then callers use rabbitmqctl). It is at
// BOOKSHOP_TEST_RABBIT_API (a base URL; "off" never uses it), else on port
// 15672 of the amqp host, with the amqp URL's credentials. The first call
// per host probes it.
func managementAPI(u *url.URL) *api {
	base := os.Getenv("BOOKSHOP_TEST_RABBIT_API")
	if base == "off" {
		return nil
	}
	if base == "" {
		base = "http://" + u.Hostname() + ":15672"
	}
	if a, ok := probed.Load(base); ok {
		return a.(*api)
	}
	pass, _ := u.User.Password()
	a := &api{base: strings.TrimSuffix(base, "/"), user: u.User.Username(), pass: pass}
	if a.user == "" {
		a.user, a.pass = "guest", "guest"
	}
	if err := a.do(http.MethodGet, "/api/overview", nil); err != nil {
		fmt.Fprintf(os.Stderr, "rabbittest: no RabbitMQ management API (%v); using rabbitmqctl, which is slower (scripts/ensure-rabbitmq.sh enables the API)\n", err)
		a = nil
	}
	actual, _ := probed.LoadOrStore(base, a)
	return actual.(*api)
}

var client = &http.Client{Timeout: 30 * time.Second}

// do sends one request with body as JSON (when not nil) and requires a
// 2xx answer.
func (a *api) do(method, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return err
	}
	req.SetBasicAuth(a.user, a.pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("rabbitmq management api %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("rabbitmq management api %s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
