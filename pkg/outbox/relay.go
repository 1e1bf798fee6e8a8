package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"bookshop/pkg/rabbit"
	"bookshop/pkg/retry"

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
func (r *Relay) Run(ctx context.Context) error {
	failures := 0
	for {
		n, err := r.RelayOnce(ctx)
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
	var rows []row
	err := r.db.SelectContext(ctx, &rows, `SELECT seq, message_id, destination, type, correlation_id, body
		FROM outbox ORDER BY seq LIMIT ?`, r.batch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	pubs := make([]rabbit.Publishing, len(rows))
	for i, rw := range rows {
		pubs[i] = rabbit.Publishing{RoutingKey: rw.Destination, MessageID: rw.MessageID,
			Type: rw.Type, CorrelationID: rw.CorrelationID, Body: rw.Body}
	}
	if err := r.pub.Publish(ctx, pubs); err != nil {
		return 0, fmt.Errorf("publish %d outbox messages: %w", len(pubs), err)
	}
	last := rows[len(rows)-1].Seq
	if _, err := r.db.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ?`, last); err != nil {
		return 0, fmt.Errorf("delete relayed outbox rows up to %d: %w", last, err)
	}
	if r.published != nil {
		r.published(len(rows))
	}
	return len(rows), nil
}
