package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"bookshop/communication"
	commsqlite "bookshop/communication/sqlite"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

var at = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

func open(t *testing.T) *commsqlite.Emails {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), sqlite.Options{}, commsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &commsqlite.Emails{DB: db}
}

func add(t *testing.T, s *commsqlite.Emails, e communication.Email) error {
	t.Helper()
	return sqlite.InTx(context.Background(), s.DB, func(tx *sqlx.Tx) error {
		return s.AddEmail(context.Background(), tx, e)
	})
}

func email(id, order, template, to string, minute int) communication.Email {
	return communication.Email{ID: id, OrderID: order, To: to, Template: template, Subject: "s " + id,
		Text: "text " + id, HTML: "<p>" + id + "</p>", SentAt: at.Add(time.Duration(minute) * time.Minute),
		CommandID: "cmd-" + id, Sender: "mailbox"}
}

func TestEmails(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	all := []communication.Email{
		email("e1", "ord-1", "order_confirmed", "ada@example.com", 1),
		email("e2", "ord-2", "payment_declined", "Ada@Example.com", 2),
		email("e3", "ord-2", "order_cancelled", "bob@example.com", 3),
	}
	for _, e := range all {
		if err := add(t, s, e); err != nil {
			t.Fatal(err)
		}
	}
	dup := email("e4", "ord-1", "order_confirmed", "ada@example.com", 4)
	if err := add(t, s, dup); !errors.Is(err, communication.ErrDuplicate) {
		t.Errorf("second order_confirmed of ord-1: err = %v, want ErrDuplicate", err)
	}
	summary := func(e communication.Email) communication.Email { e.Text, e.HTML = "", ""; return e }
	tests := []struct {
		name string
		f    communication.Filter
		want []communication.Email
	}{
		{"all, newest first", communication.Filter{}, []communication.Email{summary(all[2]), summary(all[1]), summary(all[0])}},
		{"by order", communication.Filter{OrderID: "ord-2"}, []communication.Email{summary(all[2]), summary(all[1])}},
		{"by recipient, any case", communication.Filter{To: "ADA@example.com"}, []communication.Email{summary(all[1]), summary(all[0])}},
		{"both", communication.Filter{OrderID: "ord-2", To: "bob@example.com"}, []communication.Email{summary(all[2])}},
		{"by template", communication.Filter{Template: "order_confirmed"}, []communication.Email{summary(all[0])}},
		{"limit", communication.Filter{Limit: 1}, []communication.Email{summary(all[2])}},
		{"none", communication.Filter{OrderID: "ord-404"}, []communication.Email{}},
	}
	for _, tt := range tests {
		got, err := s.Emails(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	got, err := s.Email(ctx, "e2")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[1], got); diff != "" {
		t.Errorf("Email(e2) (-want +got):\n%s", diff)
	}
	if _, err := s.Email(ctx, "nope"); !errors.Is(err, communication.ErrNotFound) {
		t.Errorf("Email(nope): err = %v, want ErrNotFound", err)
	}
}

func TestEmailsListsAtMostMaxList(t *testing.T) {
	s := open(t)
	err := sqlite.InTx(context.Background(), s.DB, func(tx *sqlx.Tx) error {
		for i := range communication.MaxList + 1 {
			e := email(fmt.Sprintf("e%04d", i), fmt.Sprintf("ord-%d", i), "order_confirmed", "ada@example.com", i)
			if err := s.AddEmail(context.Background(), tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Emails(context.Background(), communication.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != communication.MaxList || got[0].ID != "e1000" || got[len(got)-1].ID != "e0001" {
		t.Errorf("got %d emails from %s to %s; want the latest %d, e1000 to e0001",
			len(got), got[0].ID, got[len(got)-1].ID, communication.MaxList)
	}
}
