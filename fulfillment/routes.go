package fulfillment

import (
	"context"
	"fmt"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Handle is fulfillment's inbox.Handler: what it consumes from its queue.
// Any other message type is dead-lettered.
//
// All its work is statements in tx, each taking microseconds: they run
// under a context that is never cancelled, as the inbox's own do. An
// interrupted write would roll back the whole batch, and database/sql and
// go-sqlite3 watch a cancellable context on a goroutine per statement.
func (f *Fulfillment) Handle(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	ctx = context.WithoutCancel(ctx)
	switch m := m.(type) {
	case *msg.ScheduleDelivery:
		return f.scheduleDelivery(ctx, f.Store(tx), env, m)
	case *msg.CancelDelivery:
		return f.cancelDelivery(ctx, f.Store(tx), env, m)
	}
	return nil, msg.Permanent(fmt.Errorf("fulfillment does not handle %s messages", env.Type))
}
