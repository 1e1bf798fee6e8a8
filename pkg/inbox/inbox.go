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

// Processor handles batches of message bodies.
type Processor struct {
	DB          *sqlx.DB
	Handle      Handler
	Duplicates  Duplicates
	AfterCommit func() // wakes the outbox relay; may be nil
	Log         *slog.Logger
	Now         func() time.Time // may be nil: time.Now
}

// HandleBatch processes bodies in one transaction and returns one error per
// body: nil once its effects are committed.
func (p *Processor) HandleBatch(ctx context.Context, bodies [][]byte) []error {
	errs := make([]error, len(bodies))
	committed := false
	err := sqlite.InTx(ctx, p.DB, func(tx *sqlx.Tx) error {
		for i, body := range bodies {
			errs[i] = p.one(ctx, tx, i, body)
		}
		return nil
	})
	if err == nil {
		committed = true
	}
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

// one handles message i inside its own savepoint.
func (p *Processor) one(ctx context.Context, tx *sqlx.Tx, i int, body []byte) error {
	env, m, err := msg.Decode(body)
	if err != nil {
		return err
	}
	sp := fmt.Sprintf("m%d", i)
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		return fmt.Errorf("savepoint for %s %s: %w", env.Type, env.ID, err)
	}
	err = p.process(ctx, tx, env, m)
	if err != nil {
		if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO "+sp); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back %s %s: %w", env.Type, env.ID, rbErr))
		}
	}
	if _, relErr := tx.ExecContext(ctx, "RELEASE "+sp); relErr != nil {
		return errors.Join(err, fmt.Errorf("release %s %s: %w", env.Type, env.ID, relErr))
	}
	return err
}

func (p *Processor) process(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) error {
	log := p.Log.With("order_id", env.CorrelationID, "message_id", env.ID, "type", env.Type)
	var stored []byte
	err := tx.GetContext(ctx, &stored, `SELECT coalesce(replies, '') FROM inbox WHERE message_id = ?`, env.ID)
	switch {
	case err == nil:
		return p.duplicate(ctx, tx, log, env, stored)
	case !errors.Is(err, sqlite.ErrNoRows):
		return fmt.Errorf("look up %s %s in inbox: %w", env.Type, env.ID, err)
	}
	outs, err := p.Handle(ctx, tx, env, m)
	if err != nil {
		return fmt.Errorf("handle %s %s for %s: %w", env.Type, env.ID, env.CorrelationID, err)
	}
	replies, err := json.Marshal(outs)
	if err != nil {
		return fmt.Errorf("encode replies of %s %s: %w", env.Type, env.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO inbox (message_id, type, order_id, processed_at, replies)
		VALUES (?, ?, ?, ?, ?)`, env.ID, env.Type, env.CorrelationID, sqlite.Time(p.now()), replies)
	if err != nil {
		return fmt.Errorf("record %s %s in inbox: %w", env.Type, env.ID, err)
	}
	if err := outbox.Add(ctx, tx, outs...); err != nil {
		return err
	}
	log.Debug("message handled", "replies", len(outs))
	return nil
}

func (p *Processor) duplicate(ctx context.Context, tx *sqlx.Tx, log *slog.Logger, env msg.Envelope, stored []byte) error {
	if p.Duplicates != Resend || len(stored) == 0 {
		log.Info("duplicate message ignored")
		return nil
	}
	var outs []msg.Outgoing
	if err := json.Unmarshal(stored, &outs); err != nil {
		return fmt.Errorf("decode stored replies of %s %s: %w", env.Type, env.ID, err)
	}
	log.Info("duplicate message: stored replies sent again", "replies", len(outs))
	return outbox.Add(ctx, tx, outs...)
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
