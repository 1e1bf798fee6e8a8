package fulfillment_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"bookshop/fulfillment"
	fsqlite "bookshop/fulfillment/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// ISBNs of the test catalog, and their stock.
const (
	isbnA       = "9780262033848" // stock 5
	isbnB       = "9780321200686" // stock 1
	isbnZ       = "9780451524935" // stock 0
	isbnUnknown = "9780000000002"
)

var testBooks = []catalog.Book{
	{ISBN: isbnA, Title: "A", Author: "a", PriceCents: 100, Currency: "EUR", Stock: 5},
	{ISBN: isbnB, Title: "B", Author: "b", PriceCents: 100, Currency: "EUR", Stock: 1},
	{ISBN: isbnZ, Title: "Z", Author: "z", PriceCents: 100, Currency: "EUR", Stock: 0},
}

// friday is the test clock: a Friday, so deliveries land on a Wednesday.
var friday = time.Date(2025, 11, 28, 10, 0, 0, 0, time.UTC)

const fridayPlus3 = "2025-12-03"

func testLogger() *slog.Logger {
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// harness is a Fulfillment on a fresh SQLite file seeded with books, with a
// fixed clock, tracking ids BK0000000001, BK0000000002, ... and shipment
// ids shp-1, shp-2, ...
type harness struct {
	db *sqlx.DB
	f  *fulfillment.Fulfillment
}

func newHarness(t *testing.T, books []catalog.Book) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fulfillment.db"), sqlite.Options{},
		outbox.Migrations, inbox.Migrations, fsqlite.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := fsqlite.SeedStock(ctx, db, books); err != nil {
		t.Fatal(err)
	}
	var random, ids uint64
	f := fulfillment.New(fulfillment.Deps{
		Store:        fsqlite.ForTx,
		BusinessDays: 3,
		Log:          testLogger(),
		Now:          func() time.Time { return friday },
		Random:       func() uint64 { random++; return random },
		NewID:        func() string { ids++; return fmt.Sprintf("shp-%d", ids) },
	})
	return &harness{db: db, f: f}
}

// handle runs one command through the handler in its own transaction.
func (h *harness) handle(t *testing.T, env msg.Envelope, m msg.Message) ([]msg.Outgoing, error) {
	t.Helper()
	var outs []msg.Outgoing
	err := sqlite.InTx(context.Background(), h.db, func(tx *sqlx.Tx) error {
		var err error
		outs, err = h.f.Handle(context.Background(), tx, env, m)
		return err
	})
	return outs, err
}

// do sends m as a new command and returns the payload of its one reply,
// checking that the reply goes to the orchestrator and names its cause.
func (h *harness) do(t *testing.T, m msg.Message) msg.Message {
	t.Helper()
	env, err := msg.New(m, orderOf(m), "", friday)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := h.handle(t, env, m)
	if err != nil {
		t.Fatalf("handle %s: %v", env.Type, err)
	}
	if len(outs) != 1 || outs[0].To != msg.Orchestrator || outs[0].Envelope.CausationID != env.ID {
		t.Fatalf("handle %s %s: replies %+v, want one to the orchestrator caused by it", env.Type, env.ID, outs)
	}
	body, err := outs[0].Envelope.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := msg.Decode(body)
	if err != nil {
		t.Fatalf("decode reply: %v", err)
	}
	return reply
}

// stock returns available and reserved of every title.
func (h *harness) stock(t *testing.T) map[string][2]int {
	t.Helper()
	levels, err := fsqlite.New(h.db).Stock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int{}
	for _, l := range levels {
		out[l.ISBN] = [2]int{l.Available, l.Reserved}
	}
	return out
}

// statuses returns the status of every shipment by order id.
func (h *harness) statuses(t *testing.T) map[string]string {
	t.Helper()
	list, err := fsqlite.New(h.db).Shipments(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range list {
		out[s.OrderID] = s.Status
	}
	return out
}

func orderOf(m msg.Message) string {
	switch m := m.(type) {
	case *msg.ScheduleDelivery:
		return m.OrderID
	case *msg.CancelDelivery:
		return m.OrderID
	}
	return "unknown"
}

var address = msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"}

// schedule is a ScheduleDelivery of order for isbn, quantity pairs.
func schedule(order string, isbnQty ...any) *msg.ScheduleDelivery {
	m := &msg.ScheduleDelivery{OrderID: order, ShippingAddress: address}
	for i := 0; i+1 < len(isbnQty); i += 2 {
		m.Items = append(m.Items, msg.DeliveryItem{ISBN: isbnQty[i].(string), Quantity: isbnQty[i+1].(int)})
	}
	return m
}

func cancel(order string) *msg.CancelDelivery { return &msg.CancelDelivery{OrderID: order} }
