package orchestrator

import (
	"context"
	"fmt"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// Scanner finds sagas whose step reply is overdue and times them out, a
// batch per transaction. Deadlines live in the saga rows, so timeouts
// survive restarts.
type Scanner struct {
	O      *Orchestrator
	DB     *sqlx.DB
	Batch  int
	Notify func() // wakes the outbox relay after a commit
}

// ScanDue times out every overdue saga, a batch per transaction, until
// fewer than a batch are left; the program calls it every
// saga.scan_interval. A failed scan is logged and left to the next call.
func (sc *Scanner) ScanDue(ctx context.Context) {
	for {
		n, err := sc.ScanOnce(ctx)
		if err != nil {
			sc.O.Log.Warn("timeout scan failed", "err", err)
			return
		}
		if n < sc.Batch {
			return
		}
	}
}

// ScanOnce times out up to Batch overdue sagas in one transaction.
func (sc *Scanner) ScanOnce(ctx context.Context) (int, error) {
	n := 0
	err := sqlite.InTx(ctx, sc.DB, func(tx *sqlx.Tx) error {
		now := sc.O.Now()
		ids, err := sc.O.Store.Overdue(ctx, tx, now, sc.Batch)
		if err != nil {
			return err
		}
		for _, id := range ids {
			out, err := sc.O.timeout(ctx, tx, id, now)
			if err != nil {
				return err
			}
			if err := outbox.Add(ctx, tx, out...); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err == nil && n > 0 && sc.Notify != nil {
		sc.Notify()
	}
	return n, err
}

func (o *Orchestrator) timeout(ctx context.Context, tx *sqlx.Tx, id string, now time.Time) ([]msg.Outgoing, error) {
	s, err := o.Store.Get(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("time out saga %s: %w", id, err)
	}
	from, step, prev := s.State, s.Step, s.Version
	eff, err := o.Engine.Timeout(ctx, s, now)
	if err != nil {
		return nil, fmt.Errorf("time out saga %s in %s: %w", id, from, err)
	}
	if s.Version == prev {
		return nil, nil
	}
	if err := o.Store.Save(ctx, tx, s, prev, eff.History); err != nil {
		return nil, err
	}
	if s.State == from {
		o.Log.Warn("step timed out; command sent again", "order_id", id, "step", step, "attempt", s.Attempts)
		if o.Observer.Retry != nil {
			o.Observer.Retry(step)
		}
	} else {
		o.Log.Warn("step gave up", "order_id", id, "step", step, "to", s.State)
		o.observe(from, s.State, EvGaveUp)
	}
	return eff.Outgoing, nil
}
