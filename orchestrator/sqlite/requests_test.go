package sqlite_test

import (
	"context"
	"testing"
	"time"

	"bookshop/orchestrator/sqlite"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// A remembered response comes back for its key until it is older than
// Keep; a key is remembered once.
func TestRequestsRememberAndForget(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	q := sqlite.Requests{Keep: time.Hour}
	remember := func(key string, at time.Time) error {
		return pkgsqlite.InTx(ctx, h.db, func(tx *sqlx.Tx) error {
			return q.Remember(ctx, tx, key, sqlite.Response{Request: "POST /x", Status: 202, Body: []byte(`{"ok":true}`)}, at)
		})
	}
	lookup := func(key string) (sqlite.Response, bool) {
		var r sqlite.Response
		var found bool
		err := pkgsqlite.InTx(ctx, h.db, func(tx *sqlx.Tx) (err error) {
			r, found, err = q.Lookup(ctx, tx, key)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return r, found
	}
	if err := remember("k1", h.now); err != nil {
		t.Fatal(err)
	}
	if r, ok := lookup("k1"); !ok || r.Status != 202 || string(r.Body) != `{"ok":true}` || r.Request != "POST /x" {
		t.Fatalf("lookup k1: %+v %v", r, ok)
	}
	if err := remember("k1", h.now); err == nil {
		t.Error("the same key remembered twice")
	}
	if err := remember("k2", h.now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := lookup("k1"); ok {
		t.Error("k1 still remembered after Keep")
	}
	if _, ok := lookup("never"); ok {
		t.Error("an unknown key found")
	}
}
