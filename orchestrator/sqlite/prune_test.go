package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"
	pkgsqlite "bookshop/pkg/sqlite"
)

// TestPruneHistory: only the timelines of sagas that ended before the
// cutoff go, in chunks, and their saga rows stay.
func TestPruneHistory(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cutoff := h.now.Add(-24 * time.Hour)
	old, recent := pkgsqlite.Time(cutoff.Add(-time.Hour)), pkgsqlite.Time(cutoff.Add(time.Hour))
	sagas := []struct {
		id, state, updated string
		entries            int
	}{
		{"done-old", orchestrator.Completed, old, 2500}, // more than one chunk
		{"declined-old", orchestrator.Declined, old, 3},
		{"done-recent", orchestrator.Completed, recent, 3},
		{"stuck-old", orchestrator.Stuck, old, 3},
		{"charging-old", orchestrator.ChargingPayment, old, 3},
	}
	for _, s := range sagas {
		_, err := h.db.ExecContext(ctx, `INSERT INTO sagas (id, definition_version, state, version, data,
			created_at, updated_at) VALUES (?, 1, ?, 1, '{}', ?, ?)`, s.id, s.state, old, s.updated)
		if err != nil {
			t.Fatal(err)
		}
		for i := range s.entries {
			_, err := h.db.ExecContext(ctx, `INSERT INTO saga_history (saga_id, at, event) VALUES (?, ?, ?)`,
				s.id, old, fmt.Sprintf("e%d", i))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := sqlite.PruneHistory(ctx, h.db, orchestrator.Purchase.Terminal, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2503 {
		t.Errorf("pruned %d rows, want 2503 (the two old finished sagas)", n)
	}
	for _, s := range sagas {
		var left, rows int
		if err := h.db.GetContext(ctx, &left, `SELECT count(*) FROM saga_history WHERE saga_id = ?`, s.id); err != nil {
			t.Fatal(err)
		}
		if err := h.db.GetContext(ctx, &rows, `SELECT count(*) FROM sagas WHERE id = ?`, s.id); err != nil {
			t.Fatal(err)
		}
		want := s.entries
		if s.updated == old && (s.state == orchestrator.Completed || s.state == orchestrator.Declined) {
			want = 0
		}
		if left != want || rows != 1 {
			t.Errorf("%s: %d timeline rows and %d saga rows left, want %d and 1", s.id, left, rows, want)
		}
	}
}
