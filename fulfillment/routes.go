package fulfillment

import (
	"context"
	"fmt"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Handle is fulfillment's inbox.Handler: what it consumes from its queue.
// Any other message type is dead-lettered.
func (f *Fulfillment) Handle(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	switch m := m.(type) {
	case *msg.ScheduleDelivery:
		return f.scheduleDelivery(ctx, f.Store(tx), env, m)
	case *msg.CancelDelivery:
		return f.cancelDelivery(ctx, f.Store(tx), env, m)
	}
	return nil, msg.Permanent(fmt.Errorf("fulfillment does not handle %s messages", env.Type))
}
