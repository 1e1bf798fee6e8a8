package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
	"testing/fstest"
)

var appSchema = fstest.MapFS{"app_0001.sql": {Data: []byte(`CREATE TABLE effects (order_id TEXT NOT NULL);`)}}

func open(t *testing.T) *sqlx.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{},
		outbox.Migrations, inbox.Migrations, appSchema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func body(t *testing.T, id, orderID string) []byte {
	t.Helper()
	env, err := msg.NewWithID(id, &msg.CancelDelivery{OrderID: orderID}, orderID, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// handler records an effect and replies, failing as told by the order id.
func handler(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	order := m.(*msg.CancelDelivery).OrderID
	if _, err := tx.ExecContext(ctx, `INSERT INTO effects VALUES (?)`, order); err != nil {
		return nil, err
	}
	switch order {
	case "transient":
		return nil, errors.New("gateway timeout")
	case "permanent":
		return nil, msg.Permanent(errors.New("no such order"))
	}
	reply, err := msg.New(&msg.DeliveryCancelled{OrderID: order}, order, env.ID, time.Now())
	return []msg.Outgoing{reply.To(msg.Orchestrator)}, err
}

func count(t *testing.T, db *sqlx.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, query); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBatchWithDuplicatesAndFailures: either way of isolating messages
// commits exactly the work of those that succeeded.
func TestBatchWithDuplicatesAndFailures(t *testing.T) {
	for name, iso := range map[string]inbox.Isolation{"per message": inbox.PerMessage, "optimistic": inbox.Optimistic} {
		t.Run(name, func(t *testing.T) { testBatchWithDuplicatesAndFailures(t, iso) })
	}
}

func testBatchWithDuplicatesAndFailures(t *testing.T, iso inbox.Isolation) {
	db := open(t)
	woken := 0
	p := &inbox.Processor{DB: db, Handle: handler, Duplicates: inbox.Resend, Isolation: iso,
		AfterCommit: func() { woken++ }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	errs := p.HandleBatch(context.Background(), [][]byte{
		body(t, "m1", "o1"),
		body(t, "m1", "o1"), // duplicate within the batch: reply again, no second effect
		body(t, "m2", "transient"),
		body(t, "m3", "permanent"),
		[]byte("garbage"),
		body(t, "m4", "o4"),
	})
	want := []string{"ok", "ok", "transient", "permanent", "permanent", "ok"}
	for i, err := range errs {
		got := "ok"
		switch {
		case msg.IsPermanent(err):
			got = "permanent"
		case err != nil:
			got = "transient"
		}
		if got != want[i] {
			t.Errorf("message %d: outcome %s (%v), want %s", i, got, err, want[i])
		}
	}
	if n := count(t, db, `SELECT count(*) FROM effects`); n != 2 {
		t.Errorf("effects = %d, want 2 (failed messages rolled back, duplicate not acted on)", n)
	}
	if n := count(t, db, `SELECT count(*) FROM inbox`); n != 2 {
		t.Errorf("inbox rows = %d, want 2", n)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 3 {
		t.Errorf("outbox rows = %d, want 3 (o1 twice, o4 once)", n)
	}
	if n := count(t, db, `SELECT count(DISTINCT message_id) FROM outbox`); n != 2 {
		t.Errorf("distinct outbox ids = %d, want 2: a resent reply keeps its id", n)
	}
	if woken != 1 {
		t.Errorf("AfterCommit called %d times, want 1", woken)
	}
	// Redelivery in a later batch: the stored reply again, no new effect.
	if errs := p.HandleBatch(context.Background(), [][]byte{body(t, "m4", "o4")}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if n := count(t, db, `SELECT count(*) FROM effects`); n != 2 {
		t.Errorf("effects after redelivery = %d, want 2", n)
	}
}

// TestOptimisticBatchRunsEachHandlerOnce: without a failure, an optimistic
// batch runs every handler once and commits every message's rows.
func TestOptimisticBatchRunsEachHandlerOnce(t *testing.T) {
	db := open(t)
	calls := 0
	counting := func(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
		calls++
		return handler(ctx, tx, env, m)
	}
	p := &inbox.Processor{DB: db, Handle: counting, Duplicates: inbox.Resend, Isolation: inbox.Optimistic,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var bodies [][]byte
	for i := range 20 {
		bodies = append(bodies, body(t, fmt.Sprintf("m%d", i), fmt.Sprintf("o%d", i)))
	}
	bodies = append(bodies, body(t, "m3", "o3"), []byte("garbage"))
	errs := p.HandleBatch(context.Background(), bodies)
	for i, err := range errs[:21] {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if !msg.IsPermanent(errs[21]) {
		t.Errorf("garbage: %v, want a permanent error", errs[21])
	}
	if calls != 20 {
		t.Errorf("handler ran %d times, want 20", calls)
	}
	if n := count(t, db, `SELECT count(*) FROM effects`); n != 20 {
		t.Errorf("effects = %d, want 20", n)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 21 {
		t.Errorf("outbox rows = %d, want 21 (the duplicate's reply sent again)", n)
	}
}

func TestIgnoreDuplicates(t *testing.T) {
	db := open(t)
	p := &inbox.Processor{DB: db, Handle: handler, Duplicates: inbox.Ignore,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for range 3 {
		if errs := p.HandleBatch(context.Background(), [][]byte{body(t, "m1", "o1")}); errs[0] != nil {
			t.Fatal(errs[0])
		}
	}
	if n := count(t, db, `SELECT count(*) FROM outbox`); n != 1 {
		t.Errorf("outbox rows = %d, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM inbox WHERE replies IS NULL`); n != 1 {
		t.Errorf("inbox rows without a copy of the replies = %d, want 1: nobody reads it", n)
	}
	// Told to keep them, it stores the copy.
	p.KeepReplies = true
	if errs := p.HandleBatch(context.Background(), [][]byte{body(t, "m2", "o2")}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if n := count(t, db, `SELECT count(*) FROM inbox WHERE message_id = 'm2' AND replies LIKE '%DeliveryCancelled%'`); n != 1 {
		t.Errorf("kept replies of m2: %d rows, want 1", n)
	}
}
