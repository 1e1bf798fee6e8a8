// Package outbox is the transactional outbox: Add stores outgoing messages in
// the same SQLite transaction as the state change that caused them, and a
// Relay publishes them with broker confirms and deletes them once confirmed.
// A crash between the two publishes a message twice, never zero times;
// consumers drop the duplicate by message id.
package outbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates the outbox table; pass it to sqlite.Open.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Add stores msgs in the outbox inside tx.
func Add(ctx context.Context, tx *sqlx.Tx, msgs ...msg.Outgoing) error {
	if len(msgs) == 0 {
		return nil
	}
	now := sqlite.Time(time.Now())
	for _, m := range msgs {
		body, err := m.Envelope.Marshal()
		if err != nil {
			return fmt.Errorf("outbox %s %s: %w", m.Envelope.Type, m.Envelope.ID, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO outbox
			(message_id, destination, type, correlation_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.Envelope.ID, m.To, m.Envelope.Type, m.Envelope.CorrelationID, body, now)
		if err != nil {
			return fmt.Errorf("outbox %s %s for %s: %w", m.Envelope.Type, m.Envelope.ID, m.Envelope.CorrelationID, err)
		}
	}
	return nil
}

// Backlog counts the messages not yet confirmed by the broker.
func Backlog(ctx context.Context, db *sqlx.DB) (int, error) {
	var n int
	err := db.GetContext(ctx, &n, `SELECT count(*) FROM outbox`)
	return n, err
}
