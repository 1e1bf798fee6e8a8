package communication

import (
	"fmt"
	"log/slog"
	"time"

	"bookshop/pkg/msg"
)

// Outcomes reported to Deps.Observe, one per SendEmail handled.
const (
	OutcomeSent      = "sent"      // rendered, stored and handed to the sender
	OutcomeDuplicate = "duplicate" // the order already had this email: nothing sent
	OutcomeFailed    = "failed"    // the sender failed; the command is redelivered
	OutcomeRejected  = "rejected"  // the command can never be sent; dead-lettered
)

// Deps are what a Mailer needs. Store, Sender and Log are required.
type Deps struct {
	Store  Store
	Sender Sender
	Log    *slog.Logger
	Now    func() time.Time // default time.Now
	NewID  func() string    // new email ids; default "eml-" + a ULID
	// Observe counts each SendEmail by template and outcome; may be nil.
	Observe func(template, outcome string)
}

// Mailer handles communication's commands.
type Mailer struct {
	store    Store
	sender   Sender
	log      *slog.Logger
	now      func() time.Time
	newID    func() string
	observe  func(template, outcome string)
	renderer *Renderer
}

// NewMailer returns a Mailer; it fails only if the embedded templates do not
// parse.
func NewMailer(d Deps) (*Mailer, error) {
	if d.Store == nil || d.Sender == nil || d.Log == nil {
		return nil, fmt.Errorf("new mailer: store, sender and log are required")
	}
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	m := &Mailer{store: d.Store, sender: d.Sender, log: d.Log, now: d.Now, newID: d.NewID,
		observe: d.Observe, renderer: r}
	if m.now == nil {
		m.now = time.Now
	}
	if m.newID == nil {
		m.newID = func() string { return "eml-" + msg.NewID() }
	}
	if m.observe == nil {
		m.observe = func(string, string) {}
	}
	return m, nil
}
