package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bookshop/pkg/rabbit/rabbittest"

	amqp "github.com/rabbitmq/amqp091-go"
)

// lockPath is the file whose flock tells tests on this machine, in any
// process, who may touch the broker as a whole: a shop holds it shared, a
// broker restart holds it exclusive.
var lockPath = filepath.Join(os.TempDir(), "bookshop-e2e-broker.lock")

// locks names the tests of this process that hold the broker lock.
var locks sync.Map

// LockBroker takes the machine-wide broker lock for the rest of the test:
// shared by every shop, exclusive by a test that stops the broker's app
// (which breaks every vhost). A test that holds it exclusive must take it
// before it starts its own shop.
func LockBroker(t testing.TB, exclusive bool) {
	t.Helper()
	if held(t) {
		return
	}
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open broker lock: %v", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatalf("take broker lock: %v", err)
	}
	locks.Store(t.Name(), true)
	t.Cleanup(func() {
		locks.Delete(t.Name())
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// held reports whether this test (or a parent) already holds the lock:
// flock on a second descriptor of the same process would deadlock.
func held(t testing.TB) bool {
	name := t.Name()
	for {
		if _, ok := locks.Load(name); ok {
			return true
		}
		i := strings.LastIndex(name, "/")
		if i < 0 {
			return false
		}
		name = name[:i]
	}
}

// NewVHost creates a fresh vhost for guest on the broker of base (an amqp
// URL without a vhost) and returns its URL and a function deleting it.
func NewVHost(base string) (string, func() error, error) {
	return rabbittest.NewVHost(base, "bookshop-load-")
}

// QueueDepths returns ready plus unacked messages of every queue in the
// URL's vhost.
func QueueDepths(amqpURL string) (map[string]int, error) {
	return rabbittest.QueueDepths(amqpURL)
}

// ReadyMessages returns the messages ready for delivery in each of the
// queues of the URL's vhost, read over AMQP (a passive declare each): cheap
// and exact, but blind to messages delivered and not yet acknowledged,
// which QueueDepths counts.
func ReadyMessages(ctx context.Context, amqpURL string, queues ...string) (map[string]int, error) {
	conn, err := amqp.DialConfig(amqpURL, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		return nil, fmt.Errorf("ready messages: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("ready messages: %w", err)
	}
	out := make(map[string]int, len(queues))
	for _, q := range queues {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := ch.QueueDeclarePassive(q, false, false, false, false, nil)
		if err != nil {
			return nil, fmt.Errorf("ready messages of %s: %w", q, err)
		}
		out[q] = info.Messages
	}
	return out, nil
}

// StopBrokerApp stops the RabbitMQ application (every vhost) and
// StartBrokerApp starts it again; only under LockBroker(t, true).
func StopBrokerApp() error { _, err := rabbittest.Ctl("stop_app"); return err }

// StartBrokerApp starts the RabbitMQ application and waits until it runs.
func StartBrokerApp() error {
	if _, err := rabbittest.Ctl("start_app"); err != nil {
		return err
	}
	_, err := rabbittest.Ctl("await_startup")
	return err
}

// PurgeQueue drops every ready message of a queue in the URL's vhost: a
// test's way to lose a command on purpose.
func PurgeQueue(amqpURL, queue string) error {
	return rabbittest.PurgeQueue(amqpURL, queue)
}
