// Package inbox processes incoming messages exactly once in effect: each
// batch of deliveries is handled in one SQLite transaction (group commit),
// each message in its own savepoint with its own inbox row, and the messages
// it causes go to the outbox in the same transaction.
package inbox

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates the inbox table; pass it to sqlite.Open.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Handler does one message's work inside tx and returns the messages it
// causes. A msg.Permanent error dead-letters the message; any other error
// rolls its work back and has it redelivered.
type Handler func(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error)

// Duplicates says what to do with a message already in the inbox.
type Duplicates int

const (
	// Ignore a redelivered message (the orchestrator: its effects exist).
	Ignore Duplicates = iota
	// Resend the replies stored with it (workers: the first reply may have
	// been lost, and the sender asks again with the same command id).
	Resend
)

// Isolation says how a batch keeps one message's failure from undoing the
// others' work.
type Isolation int

const (
	// PerMessage runs every message in a savepoint of its own: two more
	// statements per message, and a failed message never makes another's
	// handler run again. For handlers with an effect outside the
	// transaction that must not repeat (an email sent over SMTP).
	PerMessage Isolation = iota
	// Optimistic runs the whole batch in one savepoint. Should a message
	// fail, that savepoint is rolled back and the batch runs again with a
	// savepoint per message, so the others' handlers run twice: only for
	// handlers whose effects outside the transaction are idempotent (the
	// card gateway's, by idempotency key) or that have none.
	Optimistic
)

// Processor handles batches of message bodies.
type Processor struct {
	DB         *sqlx.DB
	Handle     Handler
	Duplicates Duplicates
	Isolation  Isolation
	// KeepReplies stores each message's replies with its inbox row even
	// when duplicates are ignored (Resend always stores them).
	KeepReplies bool
	AfterCommit func() // wakes the outbox relay; may be nil
	Log         *slog.Logger
	Now         func() time.Time // may be nil: time.Now
}

// HandleBatch processes bodies in one transaction and returns one error per
// body: nil once its effects are committed.
//
// Per batch, not per message: one query finds which messages the inbox has
// already seen, and the inbox rows and outbox rows of every message handled
// are written at the end, a few multi-row inserts for the whole batch. Per
// message there is only the handler's own work, in a savepoint of its own.
func (p *Processor) HandleBatch(ctx context.Context, bodies [][]byte) []error {
	errs := make([]error, len(bodies))
	envs := make([]msg.Envelope, len(bodies))
	ms := make([]msg.Message, len(bodies))
	for i, body := range bodies {
		envs[i], ms[i], errs[i] = msg.Decode(body)
	}
	// The inbox's and the outbox's own statements run under a context that
	// is never cancelled: go-sqlite3 runs a statement whose context can be
	// cancelled on a goroutine of its own, so that it can interrupt it,
	// which cost a goroutine and two switches per statement. Ours take
	// microseconds; the handler still gets ctx for its own work.
	sctx := context.WithoutCancel(ctx)
	err := sqlite.InTx(ctx, p.DB, func(tx *sqlx.Tx) error {
		b, err := p.seen(sctx, tx, envs, errs)
		if err != nil {
			return err
		}
		if p.Isolation == Optimistic {
			done, err := b.optimistic(ctx, sctx, tx, envs, ms, errs)
			if err != nil {
				return err
			}
			if done {
				return b.write(sctx, tx)
			}
			// Rolled back: start over, each message in a savepoint of its own.
			if b, err = p.seen(sctx, tx, envs, errs); err != nil {
				return err
			}
		}
		for i := range bodies {
			if errs[i] == nil {
				errs[i] = b.one(ctx, sctx, tx, envs[i], ms[i])
			}
		}
		return b.write(sctx, tx)
	})
	committed := err == nil
	for i := range errs {
		if !committed && errs[i] == nil {
			errs[i] = fmt.Errorf("commit batch of %d: %w", len(bodies), err)
		}
	}
	if committed && p.AfterCommit != nil {
		p.AfterCommit()
	}
	return errs
}

// batch is one transaction's messages: what the inbox already holds, and
// the rows to write at the end.
type batch struct {
	p     *Processor
	known map[string][]byte // message id → its stored replies ("" when none)
	inbox []inboxRow
	out   []outbox.Encoded
}

type inboxRow struct {
	messageID, typ, orderID, processedAt string
	replies                              []byte
}

// seen looks up, in one query, which of the batch's messages the inbox
// already holds.
func (p *Processor) seen(ctx context.Context, tx *sqlx.Tx, envs []msg.Envelope, errs []error) (*batch, error) {
	ids := make([]string, 0, len(envs))
	for i, env := range envs {
		if errs[i] == nil {
			ids = append(ids, env.ID)
		}
	}
	b := &batch{p: p, known: make(map[string][]byte, len(ids))}
	if len(ids) == 0 {
		return b, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("look up %d messages in inbox: %w", len(ids), err)
	}
	var rows []struct {
		ID      string `db:"message_id"`
		Replies []byte `db:"replies"`
	}
	// One statement text for any number of ids: it stays prepared.
	err = tx.SelectContext(ctx, &rows, `SELECT message_id, coalesce(replies, '') AS replies FROM inbox
		WHERE message_id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("look up %d messages in inbox: %w", len(ids), err)
	}
	for _, r := range rows {
		b.known[r.ID] = r.Replies
	}
	return b, nil
}

// The savepoint around each message. One name for all: each is released
// before the next is taken, and a constant statement stays prepared.
const (
	savepoint = "SAVEPOINT inbox_message"
	rollback  = "ROLLBACK TO inbox_message"
	release   = "RELEASE inbox_message"

	batchSavepoint = "SAVEPOINT inbox_batch"
	batchRollback  = "ROLLBACK TO inbox_batch"
	batchRelease   = "RELEASE inbox_batch"
)

// one handles one message, inside its own savepoint; sctx is for the
// inbox's own statements. Its inbox and outbox rows join the batch's once
// its savepoint is released.
func (b *batch) one(ctx, sctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) error {
	if stored, ok := b.known[env.ID]; ok {
		return b.duplicate(env, stored)
	}
	if _, err := tx.ExecContext(sctx, savepoint); err != nil {
		return fmt.Errorf("savepoint for %s %s: %w", env.Type, env.ID, err)
	}
	enc, err := b.process(ctx, tx, env, m)
	if err != nil {
		if _, rbErr := tx.ExecContext(sctx, rollback); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back %s %s: %w", env.Type, env.ID, rbErr))
		}
	}
	if _, relErr := tx.ExecContext(sctx, release); relErr != nil {
		return errors.Join(err, fmt.Errorf("release %s %s: %w", env.Type, env.ID, relErr))
	}
	if err != nil {
		return err
	}
	b.record(env, enc)
	return nil
}

// record adds a handled message's inbox row and outbox rows to the batch's.
// Where duplicates are ignored, nobody reads the replies back: unless told
// to keep them, they are not stored (in the orchestrator they were nearly
// half of its file: 3.6 KB per order).
func (b *batch) record(env msg.Envelope, enc []outbox.Encoded) {
	var replies []byte
	if b.p.Duplicates == Resend || b.p.KeepReplies {
		replies = outbox.Replies(enc)
	}
	b.known[env.ID] = replies // a second copy later in the batch is a duplicate
	b.inbox = append(b.inbox, inboxRow{env.ID, env.Type, env.CorrelationID, sqlite.Time(b.p.now()), replies})
	b.out = append(b.out, enc...)
}

// optimistic handles the batch's messages in one savepoint and reports
// whether all of them succeeded. If one fails, the savepoint is rolled back,
// the duplicates' outcomes are cleared, and b is spent: the caller looks
// the batch up again and handles each message in a savepoint of its own
// (Optimistic). Nothing is copied up front for that rare case.
func (b *batch) optimistic(ctx, sctx context.Context, tx *sqlx.Tx, envs []msg.Envelope, ms []msg.Message, errs []error) (bool, error) {
	var dups []int
	if _, err := tx.ExecContext(sctx, batchSavepoint); err != nil {
		return false, fmt.Errorf("savepoint for a batch of %d: %w", len(envs), err)
	}
	failed := false
	for i, env := range envs {
		if errs[i] != nil {
			continue
		}
		if stored, ok := b.known[env.ID]; ok {
			errs[i], dups = b.duplicate(env, stored), append(dups, i)
			continue
		}
		enc, err := b.process(ctx, tx, env, ms[i])
		if err != nil {
			failed = true
			break
		}
		b.record(env, enc)
	}
	if failed {
		if _, err := tx.ExecContext(sctx, batchRollback); err != nil {
			return false, fmt.Errorf("roll back a batch of %d: %w", len(envs), err)
		}
	}
	if _, err := tx.ExecContext(sctx, batchRelease); err != nil {
		return false, fmt.Errorf("release a batch of %d: %w", len(envs), err)
	}
	if failed {
		for _, i := range dups {
			errs[i] = nil // looked at again with the others
		}
		return false, nil
	}
	return true, nil
}

// process runs the handler and encodes its replies, each once, for the
// outbox row and the inbox's copy.
func (b *batch) process(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]outbox.Encoded, error) {
	outs, err := b.p.Handle(ctx, tx, env, m)
	if err != nil {
		return nil, fmt.Errorf("handle %s %s for %s: %w", env.Type, env.ID, env.CorrelationID, err)
	}
	enc, err := outbox.Encode(outs...)
	if err != nil {
		return nil, err
	}
	if b.p.Log.Enabled(ctx, slog.LevelDebug) {
		b.p.logger(env).Debug("message handled", "replies", len(outs))
	}
	return enc, nil
}

// write inserts the batch's inbox rows and outbox rows, in the order the
// messages were handled.
func (b *batch) write(ctx context.Context, tx *sqlx.Tx) error {
	for rows := b.inbox; len(rows) > 0; {
		n := outbox.ChunkSize(len(rows))
		args := make([]any, 0, 5*n)
		for _, r := range rows[:n] {
			args = append(args, r.messageID, r.typ, r.orderID, r.processedAt, r.replies)
		}
		q := `INSERT INTO inbox (message_id, type, order_id, processed_at, replies) VALUES ` + outbox.Values(5, n)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("record %d messages in inbox: %w", n, err)
		}
		rows = rows[n:]
	}
	return outbox.AddEncoded(ctx, tx, b.out...)
}

// logger is the log with the message's facts.
func (p *Processor) logger(env msg.Envelope) *slog.Logger {
	return p.Log.With("order_id", env.CorrelationID, "message_id", env.ID, "type", env.Type)
}

// duplicate handles a message the inbox already holds: ignored, or (for
// workers) its stored replies sent again.
func (b *batch) duplicate(env msg.Envelope, stored []byte) error {
	log := b.p.logger(env)
	if b.p.Duplicates != Resend || len(stored) == 0 {
		log.Info("duplicate message ignored")
		return nil
	}
	var outs []msg.Outgoing
	if err := json.Unmarshal(stored, &outs); err != nil {
		return fmt.Errorf("decode stored replies of %s %s: %w", env.Type, env.ID, err)
	}
	enc, err := outbox.Encode(outs...)
	if err != nil {
		return err
	}
	log.Info("duplicate message: stored replies sent again", "replies", len(outs))
	b.out = append(b.out, enc...)
	return nil
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
