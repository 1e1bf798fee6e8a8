package frontend

import (
	"context"
	"fmt"

	"bookshop/pkg/msg"

	"github.com/jmoiron/sqlx"
)

// Handle is the frontend's inbox.Handler for its queue `frontend`: it
// consumes OrderStatusChanged and nothing else. A message of any other type
// can never be processed here and is dead-lettered.
func (s *Shop) Handle(ctx context.Context, tx *sqlx.Tx, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	switch m := m.(type) {
	case *msg.OrderStatusChanged:
		return nil, s.orderStatusChanged(ctx, tx, env, *m)
	case msg.OrderStatusChanged:
		return nil, s.orderStatusChanged(ctx, tx, env, m)
	default:
		// The inbox adds the message id and order id to the error.
		return nil, msg.Permanent(fmt.Errorf("frontend does not consume %s", env.Type))
	}
}
