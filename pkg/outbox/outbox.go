// Package outbox is the transactional outbox: Add stores outgoing messages in
// the same SQLite transaction as the state change that caused them, and a
// Relay publishes them with broker confirms and deletes them once confirmed.
// A crash between the two publishes a message twice, never zero times;
// consumers drop the duplicate by message id.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
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
	enc, err := Encode(msgs...)
	if err != nil {
		return err
	}
	return AddEncoded(ctx, tx, enc...)
}

// Encoded is an outgoing message with its body encoded once, for the
// outbox and for whoever keeps a copy (the inbox stores each message's
// replies).
type Encoded struct {
	msg.Outgoing
	Body []byte // the envelope as JSON
}

// Encode encodes each message's envelope.
func Encode(msgs ...msg.Outgoing) ([]Encoded, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	enc := make([]Encoded, len(msgs))
	for i, m := range msgs {
		body, err := m.Envelope.Marshal()
		if err != nil {
			return nil, fmt.Errorf("outbox %s %s: %w", m.Envelope.Type, m.Envelope.ID, err)
		}
		enc[i] = Encoded{Outgoing: m, Body: body}
	}
	return enc, nil
}

// Replies is the JSON of the messages as a list of msg.Outgoing, built from
// their encoded bodies ("null" for none, as json.Marshal of a nil slice).
func Replies(enc []Encoded) []byte {
	if enc == nil {
		return []byte("null")
	}
	n := 2
	for _, e := range enc {
		n += len(e.To) + len(e.Body) + 32
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, e := range enc {
		if i > 0 {
			b = append(b, ',')
		}
		to, _ := json.Marshal(e.To) // a string always encodes
		b = append(b, `{"to":`...)
		b = append(b, to...)
		b = append(b, `,"envelope":`...)
		b = append(b, e.Body...)
		b = append(b, '}')
	}
	return append(b, ']')
}

// AddEncoded stores encoded messages in the outbox inside tx, in order, a
// few multi-row inserts for all of them.
func AddEncoded(ctx context.Context, tx *sqlx.Tx, enc ...Encoded) error {
	now := sqlite.Time(time.Now())
	for len(enc) > 0 {
		n := ChunkSize(len(enc))
		args := make([]any, 0, 6*n)
		for _, m := range enc[:n] {
			args = append(args, m.Envelope.ID, m.To, m.Envelope.Type, m.Envelope.CorrelationID, m.Body, now)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox
			(message_id, destination, type, correlation_id, body, created_at) VALUES `+Values(6, n), args...)
		if err != nil {
			m := enc[0]
			return fmt.Errorf("outbox %d messages from %s %s for %s: %w", n, m.Envelope.Type, m.Envelope.ID, m.Envelope.CorrelationID, err)
		}
		enc = enc[n:]
	}
	return nil
}

// ChunkSize is how many of n rows the next multi-row insert takes: 64 or 16
// at a time, and a small rest (a saga step's two messages, a batch's last
// few) in one statement of its own size. That is at most 17 statement texts
// per table, each prepared once (sqlite keeps them).
func ChunkSize(n int) int {
	switch {
	case n >= 64:
		return 64
	case n >= 16:
		return 16
	}
	return n
}

// Values is the VALUES list of a multi-row insert of rows rows of cols
// columns: "(?, ?), (?, ?)".
func Values(cols, rows int) string {
	key := [2]int{cols, rows}
	if v, ok := valuesCache.Load(key); ok {
		return v.(string)
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	v := strings.Repeat(row+", ", rows-1) + row
	valuesCache.Store(key, v)
	return v
}

var valuesCache sync.Map // [2]int{cols, rows} → Values(cols, rows)

// Backlog counts the messages not yet confirmed by the broker.
func Backlog(ctx context.Context, db *sqlx.DB) (int, error) {
	var n int
	err := db.GetContext(ctx, &n, `SELECT count(*) FROM outbox`)
	return n, err
}
