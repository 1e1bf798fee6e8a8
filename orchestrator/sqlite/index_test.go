package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"bookshop/pkg/inbox"
	"bookshop/pkg/outbox"
	pkgsqlite "bookshop/pkg/sqlite"
)

// TestStuckAtUsesAnIndex: the bulk retry finds stuck sagas by an index, in
// its order, without a sort.
func TestStuckAtUsesAnIndex(t *testing.T) {
	db, err := pkgsqlite.Open(context.Background(), filepath.Join(t.TempDir(), "o.db"), pkgsqlite.Options{},
		outbox.Migrations, inbox.Migrations, Migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var plan []struct {
		ID      int    `db:"id"`
		Parent  int    `db:"parent"`
		NotUsed int    `db:"notused"`
		Detail  string `db:"detail"`
	}
	if err := db.Select(&plan, `EXPLAIN QUERY PLAN `+stuckAtQuery, "stuck", "charging_payment", 10); err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
	}
	got := strings.Join(details, "; ")
	if !strings.Contains(got, "INDEX sagas_state") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("plan of StuckAt: %s", got)
	}
}
