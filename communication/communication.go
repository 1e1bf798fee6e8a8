// Package communication is the bookshop's email service: it turns SendEmail
// commands into one rendered email per order and template, keeps every email
// in its own database, hands it to a Sender, and answers EmailSent.
package communication

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// Email is one email as sent and kept.
type Email struct {
	ID        string
	OrderID   string
	To        string // the bare address, as parsed from the command
	Template  string
	Subject   string
	Text      string // plain-text body
	HTML      string // HTML body
	SentAt    time.Time
	CommandID string // the SendEmail message that caused it
	Sender    string // the Sender's name: mailbox or smtp
}

// Filter narrows a listing of emails; empty fields match everything.
type Filter struct {
	OrderID  string
	To       string // compared without regard to case
	Template string
	Limit    int // at most this many, newest first; 0 means MaxList
}

// MaxList is the most emails one listing returns.
const MaxList = 1000

var (
	// ErrNotFound is returned for an email that does not exist.
	ErrNotFound = errors.New("email not found")
	// ErrDuplicate is returned when an order already has an email of a template.
	ErrDuplicate = errors.New("email already exists for this order and template")
)

// Store keeps emails inside the transaction of the message being handled.
type Store interface {
	// EmailFor returns the order's email of a template, or ErrNotFound.
	EmailFor(ctx context.Context, tx *sqlx.Tx, orderID, template string) (Email, error)
	// AddEmail stores e, or returns ErrDuplicate if its order has one of its template.
	AddEmail(ctx context.Context, tx *sqlx.Tx, e Email) error
}

// Reader lists and reads the emails kept, for the inspection API.
type Reader interface {
	// Emails lists emails without their bodies, newest first.
	Emails(ctx context.Context, f Filter) ([]Email, error)
	// Email returns one email with its bodies, or ErrNotFound.
	Email(ctx context.Context, id string) (Email, error)
}

// Sender delivers a rendered email. It is called inside the transaction that
// stores the email: an error rolls the email back and the command is
// redelivered, so Send may be called again for the same email.
type Sender interface {
	Name() string
	Send(ctx context.Context, e Email) error
}

// Mailbox is the Sender that delivers nowhere: the emails table is the
// mailbox, read through the inspection API. Storing the email in the
// handler's transaction makes it exactly once.
type Mailbox struct{}

// Name returns "mailbox".
func (Mailbox) Name() string { return "mailbox" }

// Send does nothing: the email is already stored.
func (Mailbox) Send(context.Context, Email) error { return nil }
