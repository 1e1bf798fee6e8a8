package inbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bookshop/pkg/inbox"
	"bookshop/pkg/sqlite"
)

// TestPrune deletes exactly the rows processed before the cutoff, more
// than one chunk of them, and keeps the rest recognised as duplicates.
func TestPrune(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	cutoff := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	insert := func(id string, at time.Time) {
		t.Helper()
		_, err := db.ExecContext(ctx, `INSERT INTO inbox (message_id, type, order_id, processed_at) VALUES (?, 'T', 'o', ?)`,
			id, sqlite.Time(at))
		if err != nil {
			t.Fatal(err)
		}
	}
	old := inbox.PruneChunk*2 + 7
	for i := range old {
		insert(fmt.Sprintf("old-%d", i), cutoff.Add(-time.Duration(i+1)*time.Second))
	}
	insert("at-cutoff", cutoff)
	insert("new", cutoff.Add(time.Hour))
	n, err := inbox.Prune(ctx, db, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(old) {
		t.Errorf("pruned %d rows, want %d", n, old)
	}
	var left []string
	if err := db.SelectContext(ctx, &left, `SELECT message_id FROM inbox ORDER BY message_id`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(left) != "[at-cutoff new]" {
		t.Errorf("inbox keeps %v, want [at-cutoff new]", left)
	}
}
