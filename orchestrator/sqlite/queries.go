package sqlite

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"bookshop/orchestrator"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// Reader answers the admin API's questions; it only reads.
type Reader struct{ DB *sqlx.DB }

// Get loads one saga.
func (r Reader) Get(ctx context.Context, id string) (*orchestrator.Saga, error) {
	return get(ctx, r.DB, id)
}

// History returns a saga's timeline in order.
func (r Reader) History(ctx context.Context, id string) ([]orchestrator.HistoryEntry, error) {
	var rows []struct {
		Seq       int64  `db:"seq"`
		At        string `db:"at"`
		Event     string `db:"event"`
		From      string `db:"from_state"`
		To        string `db:"to_state"`
		MessageID string `db:"message_id"`
		Detail    string `db:"detail"`
	}
	err := r.DB.SelectContext(ctx, &rows, `SELECT seq, at, event, from_state, to_state, message_id, detail
		FROM saga_history WHERE saga_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("load history of saga %s: %w", id, err)
	}
	out := make([]orchestrator.HistoryEntry, len(rows))
	for i, h := range rows {
		at, err := sqlite.ParseTime(h.At)
		if err != nil {
			return nil, fmt.Errorf("history of saga %s: %w", id, err)
		}
		out[i] = orchestrator.HistoryEntry{Seq: h.Seq, At: at, Event: h.Event, From: h.From, To: h.To,
			MessageID: h.MessageID, Detail: h.Detail}
	}
	return out, nil
}

// Filter selects sagas for the admin list.
type Filter struct {
	State string
	Stuck bool // in stuck, or the current step overdue
	Limit int
	After string // cursor from a previous page
	Now   time.Time
}

// List returns one page of sagas, oldest first, and the cursor of the next
// page ("" at the end). The order is by creation time and id, which never
// change, so paging stays correct while sagas move between states.
func (r Reader) List(ctx context.Context, f Filter) ([]*orchestrator.Saga, string, error) {
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Stuck {
		where = append(where, "(state = ? OR (deadline IS NOT NULL AND deadline <= ?))")
		args = append(args, orchestrator.Stuck, sqlite.Time(f.Now))
	}
	if f.After != "" {
		created, id, err := decodeCursor(f.After)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(created_at, id) > (?, ?)")
		args = append(args, created, id)
	}
	q := `SELECT ` + columns + ` FROM sagas`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, id LIMIT ?"
	args = append(args, f.Limit+1)
	var rows []row
	if err := r.DB.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, "", fmt.Errorf("list sagas: %w", err)
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(last.CreatedAt + "|" + last.ID))
	}
	out := make([]*orchestrator.Saga, 0, len(rows))
	for _, rw := range rows {
		s, err := rw.saga()
		if err != nil {
			return nil, "", err
		}
		out = append(out, s)
	}
	return out, next, nil
}

// ErrBadCursor is a cursor this API did not hand out.
var ErrBadCursor = fmt.Errorf("invalid cursor")

func decodeCursor(c string) (string, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", ErrBadCursor
	}
	created, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return "", "", ErrBadCursor
	}
	return created, id, nil
}

// Stats counts sagas per state.
func (r Reader) Stats(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := r.DB.SelectContext(ctx, &rows, `SELECT state, count(*) AS n FROM sagas GROUP BY state`); err != nil {
		return nil, fmt.Errorf("count sagas per state: %w", err)
	}
	out := map[string]int{}
	for _, rw := range rows {
		out[rw.State] = rw.N
	}
	return out, nil
}
