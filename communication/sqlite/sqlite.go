// Package sqlite stores communication's emails in its SQLite database.
package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"bookshop/communication"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates communication's tables; pass it to service.New.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Emails is the emails table.
type Emails struct {
	DB *sqlx.DB // for the inspection reads; writes use the handler's transaction
}

var (
	_ communication.Store  = (*Emails)(nil)
	_ communication.Reader = (*Emails)(nil)
)

// row is one emails row.
type row struct {
	ID        string `db:"id"`
	OrderID   string `db:"order_id"`
	Template  string `db:"template"`
	Recipient string `db:"recipient"`
	Subject   string `db:"subject"`
	Text      string `db:"body_text"`
	HTML      string `db:"body_html"`
	Sender    string `db:"sender"`
	CommandID string `db:"command_id"`
	SentAt    string `db:"sent_at"`
}

const summaryColumns = `id, order_id, template, recipient, subject, sender, command_id, sent_at, '' AS body_text, '' AS body_html`
const allColumns = `id, order_id, template, recipient, subject, sender, command_id, sent_at, body_text, body_html`

func (r row) email() (communication.Email, error) {
	at, err := sqlite.ParseTime(r.SentAt)
	if err != nil {
		return communication.Email{}, fmt.Errorf("email %s: sent_at %q: %w", r.ID, r.SentAt, err)
	}
	return communication.Email{ID: r.ID, OrderID: r.OrderID, To: r.Recipient, Template: r.Template,
		Subject: r.Subject, SentAt: at, Text: r.Text, HTML: r.HTML, CommandID: r.CommandID, Sender: r.Sender}, nil
}

// The handler's statements run under a context that is never cancelled:
// they take microseconds, an interrupted write would roll back the whole
// batch, and database/sql and go-sqlite3 watch a cancellable context on a
// goroutine of their own per statement. (The sender keeps the handler's.)

// EmailFor returns the order's email of a template, or
// communication.ErrNotFound. It runs once per command: scanned by hand.
func (s *Emails) EmailFor(ctx context.Context, tx *sqlx.Tx, orderID, template string) (communication.Email, error) {
	var r row
	err := tx.QueryRowContext(context.WithoutCancel(ctx), `SELECT `+allColumns+` FROM emails
		WHERE order_id = ? AND template = ?`, orderID, template).
		Scan(&r.ID, &r.OrderID, &r.Template, &r.Recipient, &r.Subject, &r.Sender, &r.CommandID, &r.SentAt,
			&r.Text, &r.HTML)
	if errors.Is(err, sqlite.ErrNoRows) {
		return communication.Email{}, communication.ErrNotFound
	}
	if err != nil {
		return communication.Email{}, fmt.Errorf("select %s email of order %s: %w", template, orderID, err)
	}
	return r.email()
}

// AddEmail stores e, or returns communication.ErrDuplicate when its order
// already has an email of its template.
func (s *Emails) AddEmail(ctx context.Context, tx *sqlx.Tx, e communication.Email) error {
	_, err := tx.ExecContext(context.WithoutCancel(ctx), `INSERT INTO emails
		(id, order_id, template, recipient, subject, body_text, body_html, sender, command_id, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OrderID, e.Template, e.To, e.Subject, e.Text, e.HTML, e.Sender, e.CommandID, sqlite.Time(e.SentAt))
	if sqlite.IsUniqueViolation(err) {
		return fmt.Errorf("insert email %s: %w", e.ID, communication.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("insert email %s: %w", e.ID, err)
	}
	return nil
}

// Emails lists emails without their bodies, newest first.
func (s *Emails) Emails(ctx context.Context, f communication.Filter) ([]communication.Email, error) {
	var where []string
	var args []any
	if f.OrderID != "" {
		where, args = append(where, "order_id = ?"), append(args, f.OrderID)
	}
	if f.To != "" {
		where, args = append(where, "recipient = ? COLLATE NOCASE"), append(args, f.To)
	}
	if f.Template != "" {
		where, args = append(where, "template = ?"), append(args, f.Template)
	}
	q := `SELECT ` + summaryColumns + ` FROM emails`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > communication.MaxList {
		limit = communication.MaxList
	}
	q += ` ORDER BY sent_at DESC, id DESC LIMIT ?`
	var rows []row
	if err := s.DB.SelectContext(ctx, &rows, q, append(args, limit)...); err != nil {
		return nil, fmt.Errorf("list emails: %w", err)
	}
	out := make([]communication.Email, 0, len(rows))
	for _, r := range rows {
		e, err := r.email()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Email returns one email with its bodies, or communication.ErrNotFound.
func (s *Emails) Email(ctx context.Context, id string) (communication.Email, error) {
	var r row
	err := s.DB.GetContext(ctx, &r, `SELECT `+allColumns+` FROM emails WHERE id = ?`, id)
	if errors.Is(err, sqlite.ErrNoRows) {
		return communication.Email{}, communication.ErrNotFound
	}
	if err != nil {
		return communication.Email{}, fmt.Errorf("select email %s: %w", id, err)
	}
	return r.email()
}
