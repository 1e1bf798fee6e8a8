package fulfillment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"bookshop/pkg/catalog"
	"bookshop/pkg/inbox"
	"bookshop/pkg/msg"

	"github.com/google/go-cmp/cmp"
)

// processor runs the harness's handler the way the service does: batches in
// one transaction, the inbox resending stored replies to a repeated command.
func (h *harness) processor() *inbox.Processor {
	return &inbox.Processor{DB: h.db, Handle: h.f.Handle, Duplicates: inbox.Resend, Log: testLogger()}
}

func (h *harness) outboxCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM outbox`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRepeatedCommandGetsItsStoredReply(t *testing.T) {
	h := newHarness(t, testBooks)
	p := h.processor()
	env, err := msg.New(schedule("order-1", isbnA, 2), "order-1", "", friday)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := env.Marshal()
	for i := range 3 {
		if errs := p.HandleBatch(context.Background(), [][]byte{body}); errs[0] != nil {
			t.Fatalf("delivery %d: %v", i+1, errs[0])
		}
	}
	var replies []string
	if err := h.db.Select(&replies, `SELECT message_id FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(replies) != 3 || replies[1] != replies[0] || replies[2] != replies[0] {
		t.Errorf("outbox message ids %v, want the same reply three times", replies)
	}
	if got, want := h.stock(t)[isbnA], [2]int{3, 2}; got != want {
		t.Errorf("stock of A = %v, want %v: reserved once", got, want)
	}
}

// TestStockInvariant drives random schedules, cancels and repeated commands
// through the inbox and checks after every batch that no copy was made or
// lost: available + reserved is the initial stock, and reserved is what the
// scheduled shipments hold.
func TestStockInvariant(t *testing.T) {
	books := []catalog.Book{
		{ISBN: isbnA, Title: "A", Author: "a", PriceCents: 1, Currency: "EUR", Stock: 6},
		{ISBN: isbnB, Title: "B", Author: "b", PriceCents: 1, Currency: "EUR", Stock: 2},
		{ISBN: "9781449373320", Title: "C", Author: "c", PriceCents: 1, Currency: "EUR", Stock: 3},
		{ISBN: isbnZ, Title: "Z", Author: "z", PriceCents: 1, Currency: "EUR", Stock: 0},
	}
	isbns := []string{isbnA, isbnA, isbnB, "9781449373320", "9781449373320", isbnZ}
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			h := newHarness(t, books)
			p := h.processor()
			r := rand.New(rand.NewPCG(seed, 42))
			var sent [][]byte
			for batch := range 60 {
				bodies := make([][]byte, 1+r.IntN(5))
				for i := range bodies {
					bodies[i] = randomCommand(t, r, isbns, sent)
					sent = append(sent, bodies[i])
				}
				for i, err := range p.HandleBatch(context.Background(), bodies) {
					if err != nil {
						t.Fatalf("batch %d message %d: %v", batch, i, err)
					}
				}
				checkStock(t, h, books)
			}
			if got := h.outboxCount(t); got != len(sent) {
				t.Errorf("outbox holds %d replies for %d commands, want one each", got, len(sent))
			}
			checkOutcomes(t, h)
		})
	}
}

// randomCommand is a repeat of a command already sent, or a schedule or
// cancel of one of a pool of orders that grows as commands are sent.
func randomCommand(t *testing.T, r *rand.Rand, isbns []string, sent [][]byte) []byte {
	t.Helper()
	if len(sent) > 0 && r.IntN(5) == 0 {
		return sent[r.IntN(len(sent))]
	}
	order := fmt.Sprintf("order-%d", r.IntN(3+len(sent)/3))
	var m msg.Message = cancel(order)
	if r.IntN(4) > 0 {
		var items []any
		for range 1 + r.IntN(3) {
			isbn := isbns[r.IntN(len(isbns))]
			if r.IntN(20) == 0 {
				isbn = isbnUnknown
			}
			items = append(items, isbn, 1+r.IntN(3))
		}
		m = schedule(order, items...)
	}
	env, err := msg.New(m, order, "", friday)
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func checkStock(t *testing.T, h *harness, books []catalog.Book) {
	t.Helper()
	var held []struct {
		ISBN     string `db:"isbn"`
		Quantity int    `db:"quantity"`
	}
	err := h.db.Select(&held, `SELECT l.isbn, sum(l.quantity) AS quantity FROM shipment_lines l
		JOIN shipments s ON s.id = l.shipment_id WHERE s.status = 'scheduled' GROUP BY l.isbn`)
	if err != nil {
		t.Fatal(err)
	}
	reservedBy := map[string]int{}
	for _, r := range held {
		reservedBy[r.ISBN] = r.Quantity
	}
	stock := h.stock(t)
	for _, b := range books {
		s := stock[b.ISBN]
		if s[0] < 0 || s[1] < 0 || s[0]+s[1] != b.Stock || s[1] != reservedBy[b.ISBN] {
			t.Fatalf("%s: available %d + reserved %d, want %d; scheduled shipments hold %d",
				b.ISBN, s[0], s[1], b.Stock, reservedBy[b.ISBN])
		}
	}
	var late int
	if err := h.db.Get(&late, `SELECT count(*) FROM shipments s JOIN cancellations c USING (order_id)
		WHERE s.status = 'scheduled'`); err != nil {
		t.Fatal(err)
	}
	if late > 0 {
		t.Fatalf("%d cancelled orders hold a scheduled shipment", late)
	}
}

// checkOutcomes makes sure the random run met every rule: each outcome
// occurred among the replies.
func checkOutcomes(t *testing.T, h *harness) {
	t.Helper()
	var outcomes []string
	err := h.db.Select(&outcomes, `SELECT DISTINCT type || ' ' || coalesce(
		json_extract(CAST(body AS TEXT), '$.payload.reason'),
		iif(json_extract(CAST(body AS TEXT), '$.payload.shipment_id') IS NULL, 'nothing', 'shipment'))
		FROM outbox ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"DeliveryCancelled nothing", "DeliveryCancelled shipment", "DeliveryFailed order_cancelled",
		"DeliveryFailed out_of_stock", "DeliveryFailed unknown_isbn", "DeliveryScheduled shipment"}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Errorf("outcomes of the random run (-want +got):\n%s", diff)
	}
}
