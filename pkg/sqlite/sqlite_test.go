package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

var migrations = fstest.MapFS{
	"0001_counter.sql": {Data: []byte(`CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);`)},
	"0002_more.sql":    {Data: []byte(`ALTER TABLE counter ADD COLUMN note TEXT;`)},
}

func TestOpenIsDurableAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "test.db")
	for range 2 { // the second open must not re-apply anything
		db, err := sqlite.Open(ctx, path, sqlite.Options{}, migrations)
		if err != nil {
			t.Fatal(err)
		}
		var mode, sync string
		if err := db.Get(&mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
		if err := db.Get(&sync, `PRAGMA synchronous`); err != nil || sync != "2" {
			t.Errorf("synchronous = %q, %v; want 2 (FULL)", sync, err)
		}
		var temp string
		if err := db.Get(&temp, `PRAGMA temp_store`); err != nil || temp != "2" {
			t.Errorf("temp_store = %q, %v; want 2 (MEMORY: savepoints' journals stay in memory)", temp, err)
		}
		var rows int
		if err := db.Get(&rows, `SELECT count(*) FROM counter`); err != nil || rows != 1 {
			t.Errorf("counter rows = %d, %v; want 1", rows, err)
		}
		db.Close()
	}
}

func TestOpenRefusesBadOptions(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), sqlite.Options{Synchronous: "OFF"})
	if err == nil {
		t.Fatal("synchronous=OFF accepted")
	}
}

// Concurrent read-then-write transactions must all succeed: the trap the
// design measured ("database is locked" with deferred transactions).
func TestConcurrentReadThenWrite(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
				var n int
				if err := tx.Get(&n, `SELECT n FROM counter`); err != nil {
					return err
				}
				_, err := tx.Exec(`UPDATE counter SET n = ?`, n+1)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var n int
	if err := db.Get(&n, `SELECT n FROM counter`); err != nil || n != 40 {
		t.Errorf("counter = %d, %v; want 40", n, err)
	}
}

func TestTimeSortsAsText(t *testing.T) {
	a := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.Add(500 * time.Millisecond)
	if !(sqlite.Time(a) < sqlite.Time(b)) {
		t.Errorf("%s !< %s", sqlite.Time(a), sqlite.Time(b))
	}
	got, err := sqlite.ParseTime(sqlite.Time(b))
	if err != nil || !got.Equal(b) {
		t.Errorf("ParseTime = %v, %v", got, err)
	}
}
