package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// Requests remembers the response to each admin request made with an
// Idempotency-Key, in the transaction of the action itself.
type Requests struct {
	// Keep is how long a key is remembered; 0 means 7 days.
	Keep time.Duration
}

// Response is a remembered response.
type Response struct {
	Request string // fingerprint of the request that made it
	Status  int
	Body    []byte
}

// Lookup returns the response remembered for key, if any.
func (Requests) Lookup(ctx context.Context, tx *sqlx.Tx, key string) (Response, bool, error) {
	var r struct {
		Request string `db:"request"`
		Status  int    `db:"status"`
		Body    string `db:"response"`
	}
	err := tx.GetContext(ctx, &r, `SELECT request, status, response FROM admin_requests
		WHERE idempotency_key = ?`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return Response{}, false, nil
	}
	if err != nil {
		return Response{}, false, fmt.Errorf("look up idempotency key %q: %w", key, err)
	}
	return Response{Request: r.Request, Status: r.Status, Body: []byte(r.Body)}, true, nil
}

// Remember stores the response to key, and forgets keys older than Keep.
func (q Requests) Remember(ctx context.Context, tx *sqlx.Tx, key string, r Response, now time.Time) error {
	keep := q.Keep
	if keep <= 0 {
		keep = 7 * 24 * time.Hour
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_requests WHERE created_at < ?`, sqlite.Time(now.Add(-keep))); err != nil {
		return fmt.Errorf("forget old idempotency keys: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO admin_requests (idempotency_key, request, status, response, created_at)
		VALUES (?, ?, ?, ?, ?)`, key, r.Request, r.Status, string(r.Body), sqlite.Time(now))
	if err != nil {
		return fmt.Errorf("remember idempotency key %q: %w", key, err)
	}
	return nil
}
