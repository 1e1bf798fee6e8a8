package sqlite

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/jmoiron/sqlx"
)

// Group commit. Every commit at synchronous=FULL waits for the disk, and a
// program has one connection: transactions from many goroutines (the
// frontend's checkouts, one per HTTP request) would each pay for their own
// sync, one after another. InTx instead lets callers that arrive while
// another holds the database join its transaction: each runs its function
// in a savepoint of its own, in turn, and the last of them commits for all.
// Each caller still gets all-or-nothing (its savepoint is rolled back when
// its function fails) and InTx still returns only once its work is durable,
// or with the error that stopped the commit.

// maxGroup bounds how many functions share one commit, so that the first
// of them never waits behind an unbounded queue.
const maxGroup = 32

// group is the group committer of one database handle.
type group struct {
	turn    chan struct{} // a token, held by the caller running its function
	waiting atomic.Int32  // callers waiting for the turn
	// Owned by the turn holder:
	tx    *sqlx.Tx // the open group transaction, nil between groups
	batch *batch
}

// batch is what the members of one group transaction wait for.
type batch struct {
	done    chan struct{} // closed once committed or rolled back
	err     error         // why the commit failed; set before done closes
	turns   int           // functions run in it
	members int           // of them, those whose work is in it
}

var groups = struct {
	sync.Mutex
	m map[weak.Pointer[sqlx.DB]]*group
}{m: map[weak.Pointer[sqlx.DB]]*group{}}

// groupOf returns db's group committer, made on first use and forgotten
// when db is garbage.
func groupOf(db *sqlx.DB) *group {
	key := weak.Make(db)
	groups.Lock()
	defer groups.Unlock()
	g, ok := groups.m[key]
	if !ok {
		g = &group{turn: make(chan struct{}, 1)}
		groups.m[key] = g
		runtime.AddCleanup(db, func(k weak.Pointer[sqlx.DB]) {
			groups.Lock()
			delete(groups.m, k)
			groups.Unlock()
		}, key)
	}
	return g
}

// InTx runs fn in a transaction and commits it, or rolls fn's work back if
// fn fails (or panics). fn may share the transaction with other callers'
// functions (group commit, above), so it must not commit or roll back tx
// itself. A caller whose context is done before its turn does not run fn.
func InTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	g := groupOf(db)
	g.waiting.Add(1)
	g.turn <- struct{}{} // no giving up: every turn must end (endTurn)
	g.waiting.Add(-1)
	if err := ctx.Err(); err != nil {
		return g.endTurn(nil, fmt.Errorf("begin: %w", err), nil)
	}
	if g.tx == nil {
		// Not the caller's context: the group outlives the first caller's.
		tx, err := db.BeginTxx(context.WithoutCancel(ctx), nil)
		if err != nil {
			<-g.turn
			return fmt.Errorf("begin: %w", err)
		}
		g.tx, g.batch = tx, &batch{done: make(chan struct{})}
	}
	fnErr, broken, panicked := member(ctx, g.tx, fn)
	if broken != nil {
		return g.abort(fnErr, broken, panicked)
	}
	return g.endTurn(g.batch, fnErr, panicked)
}

// member runs fn in a savepoint of tx. broken is an error that leaves the
// transaction unusable (SQLite rolls a whole transaction back on some
// errors, and then no savepoint is left to release).
func member(ctx context.Context, tx *sqlx.Tx, fn func(tx *sqlx.Tx) error) (fnErr, broken error, panicked any) {
	// Our own statements must not be interrupted by ctx: an interrupted
	// write rolls back the whole transaction, the other callers' work too.
	sctx := context.WithoutCancel(ctx)
	if _, err := tx.ExecContext(sctx, "SAVEPOINT intx"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err), nil
	}
	func() {
		defer func() { panicked = recover() }()
		fnErr = fn(tx)
	}()
	if fnErr != nil || panicked != nil {
		if _, err := tx.ExecContext(sctx, "ROLLBACK TO intx"); err != nil {
			return fnErr, fmt.Errorf("roll back: %w", err), panicked
		}
	}
	if _, err := tx.ExecContext(sctx, "RELEASE intx"); err != nil {
		return fnErr, fmt.Errorf("release: %w", err), panicked
	}
	return fnErr, nil, panicked
}

// endTurn counts the caller's function in b (nil when none ran), then
// passes the turn on to a waiting caller, which carries on with the same
// transaction, or commits for everyone when none is waiting or the group
// is full. It returns the caller's result once that is known.
func (g *group) endTurn(b *batch, fnErr error, panicked any) error {
	if b != nil {
		b.turns++
		if fnErr == nil && panicked == nil {
			b.members++
		}
	}
	if b != nil && g.waiting.Load() > 0 && b.turns < maxGroup {
		<-g.turn
		return result(b, fnErr, panicked)
	}
	if g.tx != nil {
		tx := g.tx
		b = g.batch
		g.tx, g.batch = nil, nil
		var err error
		if b.members == 0 {
			err = tx.Rollback() // nothing to keep
		} else if err = tx.Commit(); err != nil {
			b.err = fmt.Errorf("commit: %w", err)
		}
		close(b.done)
	}
	<-g.turn
	return result(b, fnErr, panicked)
}

// abort rolls back a transaction that a failed savepoint statement left
// unusable, failing every member of its group.
func (g *group) abort(fnErr, broken error, panicked any) error {
	b := g.batch
	_ = g.tx.Rollback() // may already be rolled back by SQLite
	g.tx, g.batch = nil, nil
	b.err = fmt.Errorf("transaction rolled back: %w", broken)
	close(b.done)
	<-g.turn
	if panicked != nil {
		panic(panicked)
	}
	return errors.Join(fnErr, b.err)
}

// result is what InTx returns to a caller whose turn is over: its own
// function's failure (or panic), or else the outcome of its group's commit.
func result(b *batch, fnErr error, panicked any) error {
	if panicked != nil {
		panic(panicked)
	}
	if fnErr != nil || b == nil {
		return fnErr
	}
	<-b.done
	return b.err
}
