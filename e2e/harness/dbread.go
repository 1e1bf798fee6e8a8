package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"bookshop/pkg/msg"
	"bookshop/pkg/rabbit"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the programs' databases are SQLite
)

// The programs' SQLite files are read here read-only, beside the running
// programs (WAL lets a reader in without blocking the writer). Only pkg's
// shared tables are read, inbox and outbox, whose schema every program has.

func openRO(path string) (*sqlx.DB, error) {
	db, err := sqlx.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	return db, nil
}

// SentMessages returns the messages a program's handlers sent, as stored
// with each processed message in its inbox (rows after rowid after), and
// the last rowid read.
func SentMessages(ctx context.Context, dbPath string, after int64) ([]msg.Outgoing, int64, error) {
	db, err := openRO(dbPath)
	if err != nil {
		return nil, after, err
	}
	defer db.Close()
	var rows []struct {
		RowID   int64  `db:"rowid"`
		Replies []byte `db:"replies"`
	}
	err = db.SelectContext(ctx, &rows, `SELECT rowid, coalesce(replies, '') AS replies FROM inbox WHERE rowid > ? ORDER BY rowid`, after)
	if err != nil {
		return nil, after, fmt.Errorf("read inbox of %s: %w", dbPath, err)
	}
	var outs []msg.Outgoing
	for _, r := range rows {
		after = r.RowID
		if len(r.Replies) == 0 || string(r.Replies) == "null" {
			continue
		}
		var got []msg.Outgoing
		if err := json.Unmarshal(r.Replies, &got); err != nil {
			return nil, after, fmt.Errorf("decode inbox replies of row %d in %s: %w", r.RowID, dbPath, err)
		}
		outs = append(outs, got...)
	}
	return outs, after, nil
}

// OutboxBacklog counts the messages a program has committed but not yet
// had confirmed by the broker.
func OutboxBacklog(ctx context.Context, dbPath string) (int, error) {
	db, err := openRO(dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM outbox`); err != nil {
		return 0, fmt.Errorf("count outbox of %s: %w", dbPath, err)
	}
	return n, nil
}

// Duplicator publishes a second copy of every command and reply the
// programs sent, by reading them back from the inboxes that processed them:
// the orchestrator's inbox holds the commands (and events) each reply
// caused, each worker's inbox the reply each command caused.
type Duplicator struct {
	shop  *Shop
	after map[string]int64
	// Sent counts the copies published, by message type.
	Sent map[string]int
}

// NewDuplicator starts with nothing read.
func (s *Shop) NewDuplicator() *Duplicator {
	return &Duplicator{shop: s, after: map[string]int64{}, Sent: map[string]int{}}
}

// Pass publishes a copy of every message sent since the previous pass and
// returns how many it published.
func (d *Duplicator) Pass(ctx context.Context) (int, error) {
	var all []msg.Outgoing
	for _, name := range []string{"orchestrator", "billing", "fulfillment", "communication"} {
		outs, after, err := SentMessages(ctx, d.shop.DBPath(name), d.after[name])
		if err != nil {
			return 0, err
		}
		d.after[name] = after
		all = append(all, outs...)
	}
	if err := d.shop.Publish(ctx, all...); err != nil {
		return 0, fmt.Errorf("publish %d duplicates: %w", len(all), err)
	}
	for _, o := range all {
		d.Sent[o.Envelope.Type]++
	}
	return len(all), nil
}

// Summary lists the copies published by type.
func (d *Duplicator) Summary() string {
	types := make([]string, 0, len(d.Sent))
	for t := range d.Sent {
		types = append(types, t)
	}
	slices.Sort(types)
	var b strings.Builder
	for _, t := range types {
		fmt.Fprintf(&b, "%s=%d ", t, d.Sent[t])
	}
	return strings.TrimSpace(b.String())
}

// WaitQuiet waits until nothing is moving: every queue (dead-letter queues
// aside) empty and every outbox empty, seen three times in a row, with no
// program handling a message in between. Only the third look asks the
// broker for ready plus unacknowledged messages (rabbitmqctl, a second or
// more of a core); the first two read the ready counts over AMQP, which
// cannot see a message a program holds unacknowledged, so every look also
// requires the programs' message counters not to have moved since the
// previous one.
func (s *Shop) WaitQuiet(ctx context.Context) error {
	quiet := 0
	last := ""
	handled := -1.0
	for quiet < 3 {
		busy, err := s.busy(ctx, quiet == 2)
		if err != nil {
			return err
		}
		n, moved := s.handled(ctx)
		if moved == "" && n != handled {
			moved = fmt.Sprintf("messages handled %v -> %v ", handled, n)
		}
		handled = n
		if busy += moved; busy == "" {
			quiet++
		} else {
			quiet, last = 0, busy
		}
		if quiet == 3 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("shop never quiet: %s", last)
		case <-time.After(300 * time.Millisecond):
		}
	}
	return nil
}

// handled sums the bookshop_messages_total counters of the running
// programs; moved is not empty when one of them could not be read.
func (s *Shop) handled(ctx context.Context) (n float64, moved string) {
	for _, name := range Programs {
		if !s.Running(name) {
			continue
		}
		counts, err := s.Messages(ctx, s.URL(name))
		if err != nil {
			return 0, fmt.Sprintf("metrics of %s unreadable (%v) ", name, err)
		}
		for _, v := range counts {
			n += v
		}
	}
	return n, ""
}

// busy describes what is still moving, or returns "". Exact reads ready
// plus unacknowledged messages of every queue of the vhost; otherwise only
// the ready messages of the programs' queues are read.
func (s *Shop) busy(ctx context.Context, exact bool) (string, error) {
	var depths map[string]int
	var err error
	if exact {
		depths, err = QueueDepths(s.AMQPURL)
	} else {
		depths, err = ReadyMessages(ctx, s.AMQPURL, rabbit.Queues...)
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for q, n := range depths {
		if n > 0 && !strings.HasSuffix(q, ".dead-letter") {
			fmt.Fprintf(&b, "queue %s=%d ", q, n)
		}
	}
	for _, name := range Programs {
		n, err := OutboxBacklog(ctx, s.DBPath(name))
		if err != nil && strings.Contains(err.Error(), "no such table") {
			continue // a program without an outbox sends nothing
		}
		if err != nil {
			return "", err
		}
		if n > 0 {
			fmt.Fprintf(&b, "outbox %s=%d ", name, n)
		}
	}
	return b.String(), nil
}
