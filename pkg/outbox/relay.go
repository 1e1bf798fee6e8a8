package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"bookshop/pkg/rabbit"
	"bookshop/pkg/retry"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// Publisher is what the relay needs of the transport.
type Publisher interface {
	Publish(ctx context.Context, msgs []rabbit.Publishing) error
}

// Relay moves committed outbox rows to the broker.
type Relay struct {
	db        *sqlx.DB
	pub       Publisher
	log       *slog.Logger
	wake      chan struct{}
	batch     int
	poll      time.Duration
	backoff   retry.Policy
	published func(n int) // metrics hook, may be nil
}

// RelayOptions tune a Relay; zero values take defaults.
type RelayOptions struct {
	Batch       int           // rows published per round trip of confirms; default 256
	Poll        time.Duration // how often to look without a Notify; default 1s
	OnPublished func(n int)   // called with the number of rows confirmed
}

// NewRelay returns a relay from db's outbox to pub.
func NewRelay(db *sqlx.DB, pub Publisher, log *slog.Logger, o RelayOptions) *Relay {
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{
		db: db, pub: pub, log: log, wake: make(chan struct{}, 1),
		batch: o.Batch, poll: o.Poll, published: o.OnPublished,
		backoff: retry.Policy{Initial: 100 * time.Millisecond, Coefficient: 2, Max: 5 * time.Second},
	}
}

// Notify wakes the relay: call it after committing a transaction that added
// to the outbox. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx is cancelled. A publish failure is retried with
// backoff, forever: the rows stay in the outbox until the broker takes them.
//
// Run pipelines: once a batch is confirmed, its rows are deleted in the
// background while the next batch is read and published (rows are read
// past the last confirmed one), so that the wait for the broker's confirms
// and the wait for the delete's commit overlap. A failed delete sends the
// relay back to the oldest row: what it failed to delete goes out again
// (at least once; consumers drop the duplicate by message id).
func (r *Relay) Run(ctx context.Context) error {
	p := &pipeline{relay: r, deleted: make(chan error, 1)}
	defer p.wait()
	failures := 0
	for {
		n, err := p.round(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := r.poll
		switch {
		case err != nil:
			failures++
			wait = r.backoff.Jittered(failures, rand.Float64())
			r.log.Warn("outbox relay failed; will retry", "err", err, "attempt", failures, "wait", wait)
		case n == r.batch:
			failures = 0
			continue // more may be waiting
		default:
			failures = 0
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-r.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// pipeline is Run's state: how far the broker confirmed, and the delete of
// the last confirmed batch, which may still be running.
type pipeline struct {
	relay    *Relay
	cursor   int64 // rows up to this seq are confirmed (deleted or being deleted)
	deleting bool
	deleted  chan error
}

// round publishes the rows after the cursor and starts deleting them.
func (p *pipeline) round(ctx context.Context) (int, error) {
	if err := p.collect(false); err != nil {
		return 0, err
	}
	rows, err := p.relay.read(ctx, p.cursor)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := p.relay.publish(ctx, rows); err != nil {
		return 0, err
	}
	if err := p.collect(true); err != nil { // one delete at a time
		return 0, err
	}
	last := rows[len(rows)-1].Seq
	p.cursor, p.deleting = last, true
	go func() {
		// Not ctx: a shutdown lets the delete of confirmed rows finish.
		p.deleted <- p.relay.delete(context.WithoutCancel(ctx), last)
	}()
	if p.relay.published != nil {
		p.relay.published(len(rows))
	}
	return len(rows), nil
}

// collect takes the result of the delete in flight, waiting for it or not.
// A failed delete resets the cursor: the rows left are published again.
func (p *pipeline) collect(wait bool) error {
	if !p.deleting {
		return nil
	}
	var err error
	if wait {
		err = <-p.deleted
	} else {
		select {
		case err = <-p.deleted:
		default:
			return nil
		}
	}
	p.deleting = false
	if err != nil {
		p.cursor = 0
	}
	return err
}

// wait lets the delete in flight finish.
func (p *pipeline) wait() { _ = p.collect(true) }

type row struct {
	Seq           int64  `db:"seq"`
	MessageID     string `db:"message_id"`
	Destination   string `db:"destination"`
	Type          string `db:"type"`
	CorrelationID string `db:"correlation_id"`
	Body          []byte `db:"body"`
}

// RelayOnce publishes one batch of the oldest rows and deletes them once
// confirmed. It returns how many it relayed.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	rows, err := r.read(ctx, 0)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	if err := r.publish(ctx, rows); err != nil {
		return 0, err
	}
	if err := r.delete(ctx, rows[len(rows)-1].Seq); err != nil {
		return 0, err
	}
	if r.published != nil {
		r.published(len(rows))
	}
	return len(rows), nil
}

// read returns the oldest batch of rows after seq.
func (r *Relay) read(ctx context.Context, after int64) ([]row, error) {
	// Scanned by hand: sqlx's reflection was a third of the read's cost.
	// Not ctx: go-sqlite3 watches a cancellable statement from a goroutine
	// of its own, and the read takes microseconds.
	q, err := r.db.QueryContext(context.WithoutCancel(ctx), `SELECT seq, message_id, destination, type, correlation_id, body
		FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, after, r.batch)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer q.Close()
	var rows []row
	for q.Next() {
		var rw row
		if err := q.Scan(&rw.Seq, &rw.MessageID, &rw.Destination, &rw.Type, &rw.CorrelationID, &rw.Body); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		rows = append(rows, rw)
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return rows, nil
}

// publish sends rows and returns once the broker confirmed every one.
func (r *Relay) publish(ctx context.Context, rows []row) error {
	pubs := make([]rabbit.Publishing, len(rows))
	for i, rw := range rows {
		pubs[i] = rabbit.Publishing{RoutingKey: rw.Destination, MessageID: rw.MessageID,
			Type: rw.Type, CorrelationID: rw.CorrelationID, Body: rw.Body}
	}
	if err := r.pub.Publish(ctx, pubs); err != nil {
		return fmt.Errorf("publish %d outbox messages: %w", len(pubs), err)
	}
	return nil
}

// delete removes the rows up to seq, all confirmed; in a transaction, so
// that it can share the commit of another (sqlite.InTx).
func (r *Relay) delete(ctx context.Context, seq int64) error {
	err := sqlite.InTx(ctx, r.db, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ?`, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete relayed outbox rows up to %d: %w", seq, err)
	}
	return nil
}
