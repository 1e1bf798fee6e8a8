package outbox_test

import (
	"context"
	"testing"
	"time"

	"bookshop/pkg/outbox"
)

// Run publishes batch after batch while the previous one is deleted: every
// row goes out once, oldest first, and the outbox ends empty; after a failed
// publish the rows go out again.
func TestRunPipelines(t *testing.T) {
	db := openDB(t)
	ids := addN(t, db, 700)
	pub := &flaky{failures: 2}
	r := outbox.NewRelay(db, pub, nil, outbox.RelayOptions{Batch: 64, Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := outbox.Backlog(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		pub.mu.Lock()
		got := len(pub.got)
		pub.mu.Unlock()
		if n == 0 && got >= len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog %d, published %d of %d", n, got, len(ids))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	seen := map[string]int{}
	for _, p := range pub.got {
		seen[p.MessageID]++
		if !ids[p.MessageID] {
			t.Fatalf("published %s, which was never added", p.MessageID)
		}
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s published %d times, want once", id, seen[id])
		}
	}
	for i := 1; i < len(pub.got); i++ { // ULIDs of one process grow with time
		if pub.got[i].MessageID < pub.got[i-1].MessageID {
			t.Fatalf("published out of order at %d: %s after %s", i, pub.got[i].MessageID, pub.got[i-1].MessageID)
		}
	}
}
