package sqlite

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// DeleteChunk is how many rows one transaction of DeleteInChunks deletes
// at most.
const DeleteChunk = 1000

// DeleteInChunks runs a delete of at most DeleteChunk rows per transaction
// until one deletes fewer, and returns how many rows it deleted in all.
// query takes args and then the chunk size as its last parameter (LIMIT ?),
// so that a large delete (retention) never holds the one writer for long.
func DeleteInChunks(ctx context.Context, db *sqlx.DB, query string, args ...any) (int64, error) {
	var total int64
	for {
		var n int64
		err := InTx(ctx, db, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, query, append(args, DeleteChunk)...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("delete in chunks: %w", err)
		}
		total += n
		if n < DeleteChunk || ctx.Err() != nil {
			return total, nil
		}
	}
}
