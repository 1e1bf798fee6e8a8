package sqlite

import (
	"context"
	"database/sql"
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
		By        string `db:"actor"`
		Reason    string `db:"reason"`
	}
	err := r.DB.SelectContext(ctx, &rows, `SELECT seq, at, event, from_state, to_state, message_id, detail,
		actor, reason FROM saga_history WHERE saga_id = ? ORDER BY seq`, id)
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
			MessageID: h.MessageID, Detail: h.Detail, By: h.By, Reason: h.Reason}
	}
	return out, nil
}

// Filter selects sagas for the admin list.
type Filter struct {
	State         string
	Step          string    // the step in progress, or remembered when stuck
	Stuck         bool      // in stuck, or the current step overdue
	CreatedBefore time.Time // if not zero: only sagas created before it
	Limit         int
	After         string // cursor from a previous page
	Now           time.Time
}

// List returns one page of sagas, oldest first, and the cursor of the next
// page ("" at the end). The order is by creation time and id, which never
// change, so paging stays correct while sagas move between states.
func (r Reader) List(ctx context.Context, f Filter) ([]*orchestrator.Saga, string, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, "", err
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
		s, err := rw.saga(nil)
		if err != nil {
			return nil, "", err
		}
		out = append(out, s)
	}
	return out, next, nil
}

func (f Filter) where() ([]string, []any, error) {
	var where []string
	var args []any
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Step != "" {
		where, args = append(where, "step = ?"), append(args, f.Step)
	}
	if f.Stuck {
		where = append(where, "(state = ? OR (deadline IS NOT NULL AND deadline <= ?))")
		args = append(args, orchestrator.Stuck, sqlite.Time(f.Now))
	}
	if !f.CreatedBefore.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, sqlite.Time(f.CreatedBefore))
	}
	if f.After != "" {
		created, id, err := decodeCursor(f.After)
		if err != nil {
			return nil, nil, err
		}
		where = append(where, "(created_at, id) > (?, ?)")
		args = append(args, created, id)
	}
	return where, args, nil
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

// StuckStats are the sagas needing an operator: in stuck, or their step
// overdue.
type StuckStats struct {
	Count       int
	Overdue     int        // of Count, not in stuck but past their step's deadline
	OldestSince *time.Time // when the longest-waiting one got stuck, or its deadline passed
}

// Stuck counts the sagas that ?stuck=true lists at now.
func (r Reader) Stuck(ctx context.Context, now time.Time) (StuckStats, error) {
	var row struct {
		Count   int            `db:"n"`
		Overdue int            `db:"overdue"`
		Oldest  sql.NullString `db:"oldest"`
	}
	err := r.DB.GetContext(ctx, &row, `SELECT count(*) AS n,
		coalesce(sum(state != ?), 0) AS overdue,
		min(CASE WHEN state = ? THEN stuck_since ELSE deadline END) AS oldest
		FROM sagas WHERE state = ? OR (deadline IS NOT NULL AND deadline <= ?)`,
		orchestrator.Stuck, orchestrator.Stuck, orchestrator.Stuck, sqlite.Time(now))
	if err != nil {
		return StuckStats{}, fmt.Errorf("count stuck sagas: %w", err)
	}
	st := StuckStats{Count: row.Count, Overdue: row.Overdue}
	st.OldestSince, err = parseNull(row.Oldest)
	return st, err
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
