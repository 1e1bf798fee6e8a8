// Package sqlite stores the orchestrator's sagas and their timelines in
// SQLite with sqlx.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"bookshop/orchestrator"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates the saga tables.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store implements orchestrator.Store.
type Store struct{}

type row struct {
	ID                string         `db:"id"`
	DefinitionVersion int            `db:"definition_version"`
	State             string         `db:"state"`
	Step              string         `db:"step"`
	Attempts          int            `db:"attempts"`
	CommandID         string         `db:"command_id"`
	Deadline          sql.NullString `db:"deadline"`
	StuckSince        sql.NullString `db:"stuck_since"`
	LastError         string         `db:"last_error"`
	Version           int64          `db:"version"`
	Data              string         `db:"data"`
	CreatedAt         string         `db:"created_at"`
	UpdatedAt         string         `db:"updated_at"`
}

const columns = `id, definition_version, state, step, attempts, command_id, deadline, stuck_since,
	last_error, version, data, created_at, updated_at`

// Get loads one saga.
func (Store) Get(ctx context.Context, tx *sqlx.Tx, id string) (*orchestrator.Saga, error) {
	return get(ctx, tx, id)
}

func get(ctx context.Context, q sqlx.QueryerContext, id string) (*orchestrator.Saga, error) {
	// Scanned by hand, not by sqlx's reflection: this runs for every
	// message the orchestrator handles.
	var r row
	var data []byte // not a string: the decoder wants bytes, and this saves a copy
	err := q.QueryRowxContext(ctx, `SELECT `+columns+` FROM sagas WHERE id = ?`, id).Scan(&r.ID,
		&r.DefinitionVersion, &r.State, &r.Step, &r.Attempts, &r.CommandID, &r.Deadline, &r.StuckSince,
		&r.LastError, &r.Version, &data, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %s: %w", id, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	return r.saga(data)
}

// Create inserts a new saga with its first timeline entries.
func (Store) Create(ctx context.Context, tx *sqlx.Tx, s *orchestrator.Saga, h []orchestrator.HistoryEntry) error {
	r, err := toRow(s)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sagas (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.DefinitionVersion, r.State, r.Step, r.Attempts, r.CommandID, r.Deadline, r.StuckSince,
		r.LastError, r.Version, r.Data, r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert saga %s: %w", s.ID, err)
	}
	return addHistory(ctx, tx, s.ID, h)
}

// Save updates s if nobody changed it since version prevVersion.
func (Store) Save(ctx context.Context, tx *sqlx.Tx, s *orchestrator.Saga, prevVersion int64, h []orchestrator.HistoryEntry) error {
	r, err := toRow(s)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE sagas SET state = ?, step = ?, attempts = ?, command_id = ?,
		deadline = ?, stuck_since = ?, last_error = ?, version = ?, data = ?, updated_at = ?
		WHERE id = ? AND version = ?`, r.State, r.Step, r.Attempts, r.CommandID, r.Deadline,
		r.StuckSince, r.LastError, r.Version, r.Data, r.UpdatedAt, r.ID, prevVersion)
	if err != nil {
		return fmt.Errorf("save saga %s: %w", s.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("save saga %s at version %d: %w", s.ID, prevVersion, orchestrator.ErrConflict)
	}
	return addHistory(ctx, tx, s.ID, h)
}

// AddHistory appends timeline entries.
func (Store) AddHistory(ctx context.Context, tx *sqlx.Tx, id string, h []orchestrator.HistoryEntry) error {
	return addHistory(ctx, tx, id, h)
}

// addHistory inserts h in a few multi-row inserts: a transition's two or
// three entries go in one statement.
func addHistory(ctx context.Context, tx *sqlx.Tx, id string, h []orchestrator.HistoryEntry) error {
	for len(h) > 0 {
		n := outbox.ChunkSize(len(h))
		args := make([]any, 0, 9*n)
		for _, e := range h[:n] {
			args = append(args, id, sqlite.Time(e.At), e.Event, e.From, e.To, e.MessageID, e.Detail, e.By, e.Reason)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO saga_history (saga_id, at, event, from_state, to_state,
			message_id, detail, actor, reason) VALUES `+outbox.Values(9, n), args...)
		if err != nil {
			return fmt.Errorf("record %s in history of saga %s: %w", h[0].Event, id, err)
		}
		h = h[n:]
	}
	return nil
}

// stuckAtQuery reads the index sagas_state in order (index_test.go).
const stuckAtQuery = `SELECT id FROM sagas WHERE state = ? AND step = ?
	ORDER BY created_at, id LIMIT ?`

// StuckAt lists up to limit sagas stuck at step, oldest first.
func (Store) StuckAt(ctx context.Context, tx *sqlx.Tx, step string, limit int) ([]string, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, stuckAtQuery, orchestrator.Stuck, step, limit)
	if err != nil {
		return nil, fmt.Errorf("find sagas stuck at %s: %w", step, err)
	}
	return ids, nil
}

// Overdue lists sagas of this orchestrator's definition version whose deadline
// has passed, most overdue first.
func (Store) Overdue(ctx context.Context, tx *sqlx.Tx, now time.Time, limit int) ([]string, error) {
	var ids []string
	// Only sagas of the table this orchestrator runs: another version's are
	// left to the orchestrator that knows it (orchestrator.ErrUnknownDefinition).
	err := tx.SelectContext(ctx, &ids, `SELECT id FROM sagas WHERE deadline IS NOT NULL AND deadline <= ?
		AND definition_version = ? ORDER BY deadline LIMIT ?`, sqlite.Time(now), orchestrator.DefinitionVersion, limit)
	if err != nil {
		return nil, fmt.Errorf("find overdue sagas: %w", err)
	}
	return ids, nil
}

func toRow(s *orchestrator.Saga) (row, error) {
	data, err := json.Marshal(s.Data)
	if err != nil {
		return row{}, fmt.Errorf("encode data of saga %s: %w", s.ID, err)
	}
	return row{
		ID: s.ID, DefinitionVersion: s.DefinitionVersion, State: s.State, Step: s.Step,
		Attempts: s.Attempts, CommandID: s.CommandID, Deadline: nullTime(s.Deadline),
		StuckSince: nullTime(s.StuckSince), LastError: s.LastError, Version: s.Version,
		Data: string(data), CreatedAt: sqlite.Time(s.CreatedAt), UpdatedAt: sqlite.Time(s.UpdatedAt),
	}, nil
}

// saga converts the row; data, if not nil, is r.Data as bytes.
func (r row) saga(data []byte) (*orchestrator.Saga, error) {
	s := &orchestrator.Saga{ID: r.ID, DefinitionVersion: r.DefinitionVersion, State: r.State, Step: r.Step,
		Attempts: r.Attempts, CommandID: r.CommandID, LastError: r.LastError, Version: r.Version}
	if data == nil {
		data = []byte(r.Data)
	}
	if err := decodeData(data, &s.Data); err != nil {
		return nil, fmt.Errorf("decode data of saga %s: %w", r.ID, err)
	}
	var err error
	if s.Deadline, err = parseNull(r.Deadline); err != nil {
		return nil, err
	}
	if s.StuckSince, err = parseNull(r.StuckSince); err != nil {
		return nil, err
	}
	if s.CreatedAt, err = sqlite.ParseTime(r.CreatedAt); err != nil {
		return nil, err
	}
	s.UpdatedAt, err = sqlite.ParseTime(r.UpdatedAt)
	return s, err
}

func nullTime(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: sqlite.Time(*t), Valid: true}
}

func parseNull(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := sqlite.ParseTime(s.String)
	return &t, err
}
