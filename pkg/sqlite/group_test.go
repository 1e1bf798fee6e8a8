package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

func openCounter(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"), sqlite.Options{}, migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func counter(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT n FROM counter`); err != nil {
		t.Fatal(err)
	}
	return n
}

func increment(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE counter SET n = n + 1`)
	return err
}

// Callers that arrive while another holds the database share its commit;
// a function that fails has its own work rolled back and nobody else's.
func TestGroupCommitSharesCommitsAndIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := openCounter(t)
	var mu sync.Mutex
	txs := map[*sqlx.Tx]int{}
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 21)
	wg.Go(func() { // holds the database while the others queue up
		errs[0] = sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
			<-release
			txs[tx]++
			return increment(ctx, tx)
		})
	})
	time.Sleep(20 * time.Millisecond)
	for i := 1; i < len(errs); i++ {
		wg.Go(func() {
			errs[i] = sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
				mu.Lock()
				txs[tx]++
				mu.Unlock()
				if err := increment(ctx, tx); err != nil {
					return err
				}
				if i%5 == 0 {
					return fmt.Errorf("caller %d fails after writing", i)
				}
				return nil
			})
		})
	}
	time.Sleep(50 * time.Millisecond) // let them queue: this is the scenario, not the assertion
	close(release)
	wg.Wait()
	failed := 0
	for i, err := range errs {
		switch {
		case i > 0 && i%5 == 0 && err == nil:
			t.Errorf("caller %d: InTx hid its function's error", i)
		case (i == 0 || i%5 != 0) && err != nil:
			t.Errorf("caller %d: %v", i, err)
		case err != nil:
			failed++
		}
	}
	if got, want := counter(t, db), len(errs)-failed; got != want {
		t.Errorf("counter = %d, want %d (the failed callers' increments rolled back)", got, want)
	}
	if len(txs) >= len(errs)/2 {
		t.Errorf("%d callers used %d transactions: they did not share commits", len(errs), len(txs))
	}
}

// Many concurrent callers all succeed, whatever the grouping.
func TestGroupCommitUnderContention(t *testing.T) {
	ctx := context.Background()
	db := openCounter(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for range 200 {
		wg.Go(func() {
			err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
				var n int
				if err := tx.GetContext(ctx, &n, `SELECT n FROM counter`); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE counter SET n = ?`, n+1)
				return err
			})
			if err != nil {
				mu.Lock()
				failures = append(failures, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of 200 failed, first: %v", len(failures), failures[0])
	}
	if got := counter(t, db); got != 200 {
		t.Errorf("counter = %d, want 200", got)
	}
}

// A panic rolls back the panicking function's work, reaches its caller,
// and leaves the database usable.
func TestGroupCommitPanic(t *testing.T) {
	ctx := context.Background()
	db := openCounter(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the function's panic", r)
			}
		}()
		_ = sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
			if err := increment(ctx, tx); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error { return increment(ctx, tx) }); err != nil {
		t.Fatalf("InTx after a panic: %v", err)
	}
	if got := counter(t, db); got != 1 {
		t.Errorf("counter = %d, want 1", got)
	}
}

// A caller whose context is already done does not run its function.
func TestGroupCommitCancelled(t *testing.T) {
	db := openCounter(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("InTx with a cancelled context = %v, ran %v; want context.Canceled, not run", err, ran)
	}
}

// A function that ends the transaction under the group (as SQLite does on
// some errors) fails its caller, and the next caller starts afresh.
func TestGroupCommitBrokenTransaction(t *testing.T) {
	ctx := context.Background()
	db := openCounter(t)
	err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `ROLLBACK`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("InTx after the transaction ended under it = %v, want an error", err)
	}
	if err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error { return increment(ctx, tx) }); err != nil {
		t.Fatalf("InTx after a broken transaction: %v", err)
	}
	if got := counter(t, db); got != 1 {
		t.Errorf("counter = %d, want 1", got)
	}
}

// BenchmarkInTx is one small write transaction per call from many
// goroutines, as the frontend's checkouts are: the commits are shared.
func BenchmarkInTx(b *testing.B) {
	ctx := context.Background()
	db := openCounter(b)
	b.SetParallelism(32) // goroutines per CPU: HTTP requests in flight
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := sqlite.InTx(ctx, db, func(tx *sqlx.Tx) error { return increment(ctx, tx) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
