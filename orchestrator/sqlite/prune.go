package sqlite

import (
	"context"
	"strings"
	"time"

	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// PruneHistory deletes the timelines of sagas that ended (in one of
// terminal) before cutoff, and returns how many rows went. The saga rows
// stay: an old order still shows where it ended and with what data, only
// its step-by-step story is gone. A saga that is not finished keeps its
// whole timeline, however old.
func PruneHistory(ctx context.Context, db *sqlx.DB, terminal []string, cutoff time.Time) (int64, error) {
	args := make([]any, 0, len(terminal)+1)
	for _, s := range terminal {
		args = append(args, s)
	}
	args = append(args, sqlite.Time(cutoff))
	in := strings.TrimSuffix(strings.Repeat("?, ", len(terminal)), ", ")
	return sqlite.DeleteInChunks(ctx, db, `DELETE FROM saga_history WHERE seq IN (
		SELECT h.seq FROM sagas s JOIN saga_history h ON h.saga_id = s.id
		WHERE s.state IN (`+in+`) AND s.updated_at < ? LIMIT ?)`, args...)
}
