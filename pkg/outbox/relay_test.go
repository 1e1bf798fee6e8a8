package outbox_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/rabbit"
	"bookshop/pkg/rabbit/rabbittest"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

func openDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "o.db"), sqlite.Options{}, outbox.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func addN(t *testing.T, db *sqlx.DB, n int) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	err := sqlite.InTx(context.Background(), db, func(tx *sqlx.Tx) error {
		for range n {
			env, err := msg.New(&msg.CancelDelivery{OrderID: "o"}, "o", "", time.Now())
			if err != nil {
				return err
			}
			ids[env.ID] = true
			if err := outbox.Add(context.Background(), tx, env.To(msg.Fulfillment)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// flaky fails its first publishes, as a broker outage would.
type flaky struct {
	mu       sync.Mutex
	failures int
	got      []rabbit.Publishing
}

func (f *flaky) Publish(_ context.Context, msgs []rabbit.Publishing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return errors.New("connection refused")
	}
	f.got = append(f.got, msgs...)
	return nil
}

// A failed publish keeps the rows; the next attempt sends them, in order.
func TestRelayKeepsRowsUntilConfirmed(t *testing.T) {
	db := openDB(t)
	addN(t, db, 5)
	pub := &flaky{failures: 1}
	r := outbox.NewRelay(db, pub, nil, outbox.RelayOptions{Batch: 3})
	if _, err := r.RelayOnce(context.Background()); err == nil {
		t.Fatal("RelayOnce hid a publish failure")
	}
	if n, _ := outbox.Backlog(context.Background(), db); n != 5 {
		t.Fatalf("backlog after a failed publish = %d, want 5", n)
	}
	for _, want := range []int{3, 2} { // batches of at most 3, oldest first
		if n, err := r.RelayOnce(context.Background()); err != nil || n != want {
			t.Fatalf("RelayOnce = %d, %v; want %d", n, err, want)
		}
	}
	if n, _ := outbox.Backlog(context.Background(), db); n != 0 || len(pub.got) != 5 {
		t.Fatalf("backlog %d, published %d; want 0 and 5", n, len(pub.got))
	}
}

// Against the real broker: every row reaches the queue, the outbox empties.
func TestRelayToRabbitMQ(t *testing.T) {
	url := rabbittest.VHost(t)
	db := openDB(t)
	pub := rabbit.NewPublisher(rabbit.Config{URL: url, ConnectionName: "relay-test"}, nil)
	t.Cleanup(func() { pub.Close() })
	r := outbox.NewRelay(db, pub, nil, outbox.RelayOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	addN(t, db, 300)
	r.Notify()
	deadline := time.Now().Add(20 * time.Second)
	for rabbittest.QueueDepth(t, url, "fulfillment") < 300 {
		if time.Now().After(deadline) {
			t.Fatalf("fulfillment queue has %d of 300 messages", rabbittest.QueueDepth(t, url, "fulfillment"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n, _ := outbox.Backlog(context.Background(), db); n != 0 {
		t.Errorf("backlog %d after relaying, want 0", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
