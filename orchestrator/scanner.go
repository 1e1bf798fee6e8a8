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
	O        *Orchestrator
	DB       *sqlx.DB
	Interval time.Duration
	Batch    int
	Notify   func() // wakes the outbox relay after a commit
}

// Run scans every Interval until ctx is cancelled.
func (sc *Scanner) Run(ctx context.Context) error {
	t := time.NewTicker(sc.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for {
			n, err := sc.ScanOnce(ctx)
			if err != nil {
				sc.O.Log.Warn("timeout scan failed", "err", err)
				break
			}
			if n < sc.Batch {
				break
			}
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
