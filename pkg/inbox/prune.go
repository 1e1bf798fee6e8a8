package inbox

import (
	"context"
	"time"

	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// PruneChunk is how many rows one pruning transaction deletes at most, so
// that pruning never holds the one writer for long.
const PruneChunk = sqlite.DeleteChunk

// Prune deletes the inbox rows processed before cutoff, PruneChunk rows
// per transaction, and returns how many it deleted.
//
// A message older than the retention is no longer recognised as a
// duplicate. That is safe because no copy of it is expected any more (the
// orchestrator resends a command for minutes, not days), and because the
// handlers are idempotent by order as well: billing charges an order once,
// fulfillment reserves once per order, communication sends one email per
// order and template, and the orchestrator ignores a reply its saga has
// moved past. The retention only has to outlast the redeliveries.
func Prune(ctx context.Context, db *sqlx.DB, cutoff time.Time) (int64, error) {
	return sqlite.DeleteInChunks(ctx, db, `DELETE FROM inbox WHERE rowid IN (
		SELECT rowid FROM inbox WHERE processed_at < ? LIMIT ?)`, sqlite.Time(cutoff))
}
