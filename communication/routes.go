package communication

import (
	"context"
	"fmt"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Queue is the queue communication consumes.
const Queue = msg.Communication

// Handle is the inbox.Handler of the communication queue: it dispatches
// each message type communication handles and dead-letters any other.
func (ml *Mailer) Handle(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	switch m := m.(type) {
	case *msg.SendEmail:
		return ml.SendEmail(ctx, tx, env, m)
	default:
		return nil, msg.Permanent(fmt.Errorf("communication does not handle %s (message %s, order %s)",
			env.Type, env.ID, env.CorrelationID))
	}
}
