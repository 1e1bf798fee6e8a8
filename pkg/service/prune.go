package service

import (
	"context"
	"time"

	"bookshop/pkg/inbox"
)

// Pruner deletes what is older than cutoff from one table and says how many
// rows went.
type Pruner func(ctx context.Context, cutoff time.Time) (int64, error)

// Prune keeps table to retention: every retention/10 (at least a second,
// at most ten minutes) it deletes what is older. Every program prunes its
// inbox (database.inbox_retention); a program adds its own tables.
func (s *Service) Prune(table string, retention time.Duration, prune Pruner) {
	every := min(max(retention/10, time.Second), 10*time.Minute)
	s.Every("prune "+table, every, func(ctx context.Context) {
		n, err := prune(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			// The next round tries again; nothing is lost by waiting.
			s.Log.Warn("pruning failed", "table", table, "err", err)
		case n > 0:
			s.counters.pruned.WithLabelValues(table).Add(float64(n))
			s.Log.Info("pruned", "table", table, "rows", n, "retention", retention)
		}
	})
}

func (s *Service) pruneInbox() {
	s.Prune("inbox", s.Config.Database.InboxRetention, func(ctx context.Context, cutoff time.Time) (int64, error) {
		return inbox.Prune(ctx, s.DB, cutoff)
	})
}
