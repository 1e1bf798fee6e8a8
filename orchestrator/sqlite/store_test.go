package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/retry"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// harness runs the orchestrator's handler and scanner on a real SQLite file
// with a clock the test moves.
type harness struct {
	t       *testing.T
	db      *sqlx.DB
	proc    *inbox.Processor
	scanner *orchestrator.Scanner
	reader  sqlite.Reader
	now     time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := pkgsqlite.Open(ctx, filepath.Join(t.TempDir(), "o.db"), pkgsqlite.Options{},
		outbox.Migrations, inbox.Migrations, sqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := orchestrator.Purchase.Compile()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, reader: sqlite.Reader{DB: db}, now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := &orchestrator.Orchestrator{
		Engine: &orchestrator.Engine{Machine: m, StepTimeout: 10 * time.Second,
			Backoff: retry.Policy{Initial: time.Second, Coefficient: 2, Max: 5 * time.Second, MaxAttempts: 2},
			NewID:   msg.NewID, Rand: func() float64 { return 0 }},
		Store: sqlite.Store{}, Log: log, Now: func() time.Time { return h.now },
	}
	h.proc = &inbox.Processor{DB: db, Handle: o.Handle, Duplicates: inbox.Ignore, Log: log}
	h.scanner = &orchestrator.Scanner{O: o, DB: db, Batch: 100}
	return h
}

// send handles one message and returns its envelope.
func (h *harness) send(m msg.Message, id string) msg.Envelope {
	h.t.Helper()
	env, err := msg.NewWithID(id, m, "ord-1", "", h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	body, _ := env.Marshal()
	if err := h.proc.HandleBatch(context.Background(), [][]byte{body})[0]; err != nil {
		h.t.Fatalf("handle %s: %v", env.Type, err)
	}
	return env
}

func (h *harness) saga() *orchestrator.Saga {
	h.t.Helper()
	s, err := h.reader.Get(context.Background(), "ord-1")
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) outboxTypes() map[string]int {
	h.t.Helper()
	var types []string
	if err := h.db.Select(&types, `SELECT type FROM outbox`); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ty := range types {
		out[ty]++
	}
	return out
}

var start = &msg.StartPurchase{OrderID: "ord-1", Customer: msg.Customer{Name: "Ada", Email: "ada@example.com"},
	Items: []msg.Item{{ISBN: "9780262033848", Quantity: 1, PriceCents: 9500}}, TotalCents: 9500, Currency: "EUR",
	PaymentToken: "tok_visa", ShippingAddress: msg.Address{Line1: "1 Road", City: "London", Country: "GB"}}

func TestRepliesDuplicatesAndLateOnes(t *testing.T) {
	h := newHarness(t)
	h.send(start, "start-1")
	h.send(start, "start-2") // the same order started again under a new id: ignored
	charged := &msg.PaymentCharged{OrderID: "ord-1", PaymentID: "pay-1", AmountCents: 9500, Currency: "EUR"}
	h.send(charged, "reply-1")
	h.send(charged, "reply-1") // redelivered: the inbox drops it
	h.send(charged, "reply-2") // a late second reply: ignored as out of order
	s := h.saga()
	if s.State != orchestrator.SchedulingDelivery || s.Data.PaymentID != "pay-1" || s.Version != 2 {
		t.Fatalf("saga %s v%d payment %q, want scheduling_delivery v2 pay-1", s.State, s.Version, s.Data.PaymentID)
	}
	got := h.outboxTypes()
	if got["ChargePayment"] != 1 || got["ScheduleDelivery"] != 1 || got["OrderStatusChanged"] != 2 {
		t.Errorf("outbox %v: want one ChargePayment, one ScheduleDelivery, two OrderStatusChanged", got)
	}
	hist, err := h.reader.History(context.Background(), "ord-1")
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Event != "ignored" || last.MessageID != "reply-2" {
		t.Errorf("last history entry %+v, want the ignored late reply", last)
	}
}

func TestReplyForUnknownOrderIsPermanent(t *testing.T) {
	h := newHarness(t)
	env, _ := msg.NewWithID("r", &msg.PaymentDeclined{OrderID: "ord-1", Reason: "card_declined"}, "ord-1", "", h.now)
	body, _ := env.Marshal()
	if err := h.proc.HandleBatch(context.Background(), [][]byte{body})[0]; !msg.IsPermanent(err) {
		t.Fatalf("reply for an unknown order: %v, want a permanent error", err)
	}
}

// Timeouts survive in the row: the scanner resends, gives up, compensates;
// an email step that never answers ends stuck, and a late reply resumes it.
func TestScannerRetriesCompensatesAndStuckResumes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.send(start, "start-1")
	cmd := h.saga().CommandID
	h.now = h.now.Add(11 * time.Second)
	if n, err := h.scanner.ScanOnce(ctx); err != nil || n != 1 {
		t.Fatalf("scan: %d, %v", n, err)
	}
	if s := h.saga(); s.Attempts != 2 || s.CommandID != cmd {
		t.Fatalf("after a timeout: attempts %d command %s, want 2 and the same id %s", s.Attempts, s.CommandID, cmd)
	}
	h.now = h.now.Add(time.Minute)
	if _, err := h.scanner.ScanOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if s := h.saga(); s.State != orchestrator.RefundingPayment {
		t.Fatalf("after max attempts: %s, want refunding_payment", s.State)
	}
	h.send(&msg.PaymentRefunded{OrderID: "ord-1", AmountCents: 0, Currency: "EUR"}, "refunded-1")
	for range 2 {
		h.now = h.now.Add(time.Minute)
		if _, err := h.scanner.ScanOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := h.saga()
	if s.State != orchestrator.Stuck || s.Step != orchestrator.SendingCancellation || s.StuckSince == nil {
		t.Fatalf("email never answered: %s at %s, want stuck at sending_cancellation", s.State, s.Step)
	}
	if list, _, err := h.reader.List(ctx, sqlite.Filter{Stuck: true, Limit: 10, Now: h.now}); err != nil || len(list) != 1 {
		t.Fatalf("stuck list: %d, %v", len(list), err)
	}
	h.send(&msg.EmailSent{OrderID: "ord-1", Template: msg.TemplateOrderCancelled, EmailID: "e1"}, "sent-1")
	if s := h.saga(); s.State != orchestrator.Cancelled {
		t.Fatalf("late reply for the remembered step: %s, want cancelled", s.State)
	}
}

func TestListPagesStayCorrectWhileStatesChange(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ids := []string{"ord-a", "ord-b", "ord-c", "ord-d", "ord-e"}
	for i, id := range ids {
		m := *start
		m.OrderID = id
		h.now = h.now.Add(time.Second)
		env, _ := msg.NewWithID("s"+id, &m, id, "", h.now)
		body, _ := env.Marshal()
		if err := h.proc.HandleBatch(ctx, [][]byte{body})[0]; err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
	var seen []string
	after := ""
	for {
		page, next, err := h.reader.List(ctx, sqlite.Filter{Limit: 2, After: after, Now: h.now})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page {
			seen = append(seen, s.ID)
		}
		// Move an order not yet listed to another state between pages.
		env, _ := msg.NewWithID("d"+after, &msg.PaymentDeclined{OrderID: "ord-e", Reason: "card_declined"}, "ord-e", "", h.now)
		body, _ := env.Marshal()
		h.proc.HandleBatch(ctx, [][]byte{body})
		if next == "" {
			break
		}
		after = next
	}
	if len(seen) != len(ids) {
		t.Fatalf("paged through %v, want each of %v once", seen, ids)
	}
	for i := range ids {
		if seen[i] != ids[i] {
			t.Errorf("page order %v, want %v", seen, ids)
			break
		}
	}
}
