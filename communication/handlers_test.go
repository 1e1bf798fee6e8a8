package communication_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"bookshop/communication"
	commsqlite "bookshop/communication/sqlite"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

var at = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

// fakeSender records what it was asked to send; send may make it fail.
type fakeSender struct {
	sent []communication.Email
	send func(e communication.Email) error
}

func (f *fakeSender) Name() string { return "fake" }

func (f *fakeSender) Send(_ context.Context, e communication.Email) error {
	if f.send != nil {
		if err := f.send(e); err != nil {
			return err
		}
	}
	f.sent = append(f.sent, e)
	return nil
}

// harness is the domain on a real SQLite file, driven through the same inbox
// processor the service uses.
type harness struct {
	db       *sqlx.DB
	sender   *fakeSender
	proc     *inbox.Processor
	outcomes []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "communication.db"), sqlite.Options{},
		outbox.Migrations, inbox.Migrations, commsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{db: db, sender: &fakeSender{}}
	ids := 0
	ml, err := communication.NewMailer(communication.Deps{
		Store:   &commsqlite.Emails{DB: db},
		Sender:  h.sender,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     func() time.Time { return at },
		NewID:   func() string { ids++; return fmt.Sprintf("eml-%d", ids) },
		Observe: func(template, outcome string) { h.outcomes = append(h.outcomes, template+" "+outcome) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.proc = &inbox.Processor{DB: db, Handle: ml.Handle, Duplicates: inbox.Resend,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return h
}

// handle processes one command with the given message id and returns its error.
func (h *harness) handle(t *testing.T, id string, m msg.Message, orderID string) error {
	t.Helper()
	env, err := msg.NewWithID(id, m, orderID, "cause-"+id, at)
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return h.proc.HandleBatch(context.Background(), [][]byte{body})[0]
}

// replies decodes every message in the outbox, oldest first.
func (h *harness) replies(t *testing.T) []msg.Envelope {
	t.Helper()
	var bodies [][]byte
	if err := h.db.Select(&bodies, `SELECT body FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	var out []msg.Envelope
	for _, b := range bodies {
		env, _, err := msg.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env)
	}
	return out
}

func (h *harness) emailCount(t *testing.T, orderID string) int {
	t.Helper()
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM emails WHERE order_id = ?`, orderID); err != nil {
		t.Fatal(err)
	}
	return n
}

func emailSent(t *testing.T, env msg.Envelope) msg.EmailSent {
	t.Helper()
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := msg.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	sent, ok := m.(*msg.EmailSent)
	if !ok {
		t.Fatalf("reply is %s, want EmailSent", env.Type)
	}
	return *sent
}

func TestSendEmailOncePerOrderAndTemplate(t *testing.T) {
	for _, name := range communication.Templates {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			cmd := examples[name]
			// First command, a repeat under a new id, then the first id redelivered.
			for _, id := range []string{"cmd-1", "cmd-2", "cmd-1"} {
				if err := h.handle(t, id, cmd, cmd.OrderID); err != nil {
					t.Fatalf("handle %s: %v", id, err)
				}
			}
			replies := h.replies(t)
			if len(replies) != 3 {
				t.Fatalf("got %d replies, want 3", len(replies))
			}
			want := msg.EmailSent{OrderID: cmd.OrderID, Template: name, EmailID: "eml-1"}
			for i, env := range replies {
				if diff := cmp.Diff(want, emailSent(t, env)); diff != "" {
					t.Errorf("reply %d (-want +got):\n%s", i, diff)
				}
			}
			if replies[0].ID != replies[2].ID || replies[2].CausationID != "cmd-1" || replies[1].CausationID != "cmd-2" {
				t.Errorf("redelivered cmd-1 should get its stored reply again: got ids %s %s %s",
					replies[0].ID, replies[1].ID, replies[2].ID)
			}
			if n := h.emailCount(t, cmd.OrderID); n != 1 {
				t.Errorf("%d emails stored, want 1", n)
			}
			if len(h.sender.sent) != 1 {
				t.Errorf("sender called %d times, want 1", len(h.sender.sent))
			}
			wantOutcomes := []string{name + " sent", name + " duplicate"}
			if diff := cmp.Diff(wantOutcomes, h.outcomes); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryTemplateOfOneOrder(t *testing.T) {
	h := newHarness(t)
	for i, name := range communication.Templates {
		cmd := *examples[name]
		cmd.OrderID = "ord-9"
		if err := h.handle(t, fmt.Sprintf("cmd-%d", i), &cmd, cmd.OrderID); err != nil {
			t.Fatalf("handle %s: %v", name, err)
		}
	}
	if n := h.emailCount(t, "ord-9"); n != 3 {
		t.Errorf("%d emails stored for one order's three templates, want 3", n)
	}
	e := h.sender.sent[0]
	want := communication.Email{ID: "eml-1", OrderID: "ord-9", To: "ada@example.com",
		Template: msg.TemplateOrderConfirmed, Subject: "Your bookshop order ord-9 is confirmed",
		SentAt: at, CommandID: "cmd-0", Sender: "fake"}
	e.Text, e.HTML = "", ""
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("first email (-want +got):\n%s", diff)
	}
}

func TestSendEmailFailures(t *testing.T) {
	confirmed := examples[msg.TemplateOrderConfirmed]
	badTo := *confirmed
	badTo.To = "not an address"
	tests := []struct {
		name      string
		m         msg.Message
		sendErr   error
		permanent bool
		outcome   string
	}{
		{name: "sender fails: redelivered", m: confirmed, sendErr: errors.New("connection refused"), outcome: "order_confirmed failed"},
		{name: "bad recipient: dead-lettered", m: &badTo, permanent: true, outcome: "order_confirmed rejected"},
		{name: "unknown type: dead-lettered", m: &msg.CancelDelivery{OrderID: "ord-1"}, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sender.send = func(communication.Email) error { return tt.sendErr }
			err := h.handle(t, "cmd-1", tt.m, "ord-1")
			if err == nil || msg.IsPermanent(err) != tt.permanent {
				t.Fatalf("err = %v, want an error with permanent=%v", err, tt.permanent)
			}
			if n := h.emailCount(t, "ord-1"); n != 0 {
				t.Errorf("%d emails stored after a failure, want 0", n)
			}
			if r := h.replies(t); len(r) != 0 {
				t.Errorf("%d replies after a failure, want 0", len(r))
			}
			if tt.outcome != "" && (len(h.outcomes) != 1 || h.outcomes[0] != tt.outcome) {
				t.Errorf("outcomes = %v, want [%s]", h.outcomes, tt.outcome)
			}
			if tt.permanent {
				return
			}
			// The redelivery after the sender recovers sends exactly one email.
			h.sender.send = nil
			if err := h.handle(t, "cmd-1", tt.m, "ord-1"); err != nil {
				t.Fatalf("redelivery: %v", err)
			}
			if n, r := h.emailCount(t, "ord-1"), len(h.replies(t)); n != 1 || r != 1 {
				t.Errorf("after redelivery: %d emails, %d replies; want 1 and 1", n, r)
			}
		})
	}
}

func TestRepeatInOneBatch(t *testing.T) {
	h := newHarness(t)
	cmd := examples[msg.TemplateOrderConfirmed]
	var bodies [][]byte
	for _, id := range []string{"cmd-a", "cmd-b"} {
		env, err := msg.NewWithID(id, cmd, cmd.OrderID, "", at)
		if err != nil {
			t.Fatal(err)
		}
		b, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	for i, err := range h.proc.HandleBatch(context.Background(), bodies) {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	replies := h.replies(t)
	if len(replies) != 2 || emailSent(t, replies[0]).EmailID != "eml-1" || emailSent(t, replies[1]).EmailID != "eml-1" {
		t.Errorf("replies = %+v, want two EmailSent for eml-1", replies)
	}
	if len(h.sender.sent) != 1 {
		t.Errorf("sender called %d times, want 1", len(h.sender.sent))
	}
}
