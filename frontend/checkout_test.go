package frontend_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"bookshop/frontend"
	fsqlite "bookshop/frontend/sqlite"
	"bookshop/pkg/catalog"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
)

// newCheckoutShop returns a Shop on a fresh SQLite file with the outbox,
// a fixed clock and order ids ord-1, ord-2, ...
func newCheckoutShop(t *testing.T) (*frontend.Shop, *sqlx.DB) {
	n := 0
	return newShopOn(t, sqlite.Options{}, func(d *frontend.Deps) {
		d.Now = func() time.Time { return t0 }
		d.NewID = func() string { n++; return fmt.Sprintf("ord-%d", n) }
	})
}

// newShopOn returns a Shop on a fresh SQLite file opened with opts, with
// three books in its catalog and its log thrown away; set adjusts its Deps.
func newShopOn(tb testing.TB, opts sqlite.Options, set func(*frontend.Deps)) (*frontend.Shop, *sqlx.DB) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "frontend.db"), opts,
		outbox.Migrations, fsqlite.Migrations)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	cat, err := catalog.New([]catalog.Book{
		{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Thomas H. Cormen",
			PriceCents: 9500, Currency: "EUR", Stock: 10},
		{ISBN: "9781449373320", Title: "Designing Data-Intensive Applications", Author: "Martin Kleppmann",
			PriceCents: 4299, Currency: "EUR", Stock: 10},
		{ISBN: "9780134190440", Title: "The Go Programming Language", Author: "Alan A. A. Donovan",
			PriceCents: 3999, Currency: "USD", Stock: 10},
	})
	if err != nil {
		tb.Fatal(err)
	}
	deps := frontend.Deps{Catalog: cat, DB: db, Orders: fsqlite.Orders{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if set != nil {
		set(&deps)
	}
	return frontend.NewShop(deps), db
}

func validRequest() frontend.CheckoutRequest {
	return frontend.CheckoutRequest{
		Customer: msg.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		Items: []frontend.LineRequest{{ISBN: "9780262033848", Quantity: 2},
			{ISBN: "978-1-4493-7332-0", Quantity: 1}},
		PaymentToken: "tok_visa",
		ShippingAddress: msg.Address{Line1: "12 St James's Square", City: "London",
			PostalCode: "SW1Y 4JH", Country: "gb"},
	}
}

type outboxRow struct {
	Destination string `db:"destination"`
	Type        string `db:"type"`
	Body        []byte `db:"body"`
}

func outboxRows(t *testing.T, db *sqlx.DB) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := db.Select(&rows, `SELECT destination, type, body FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestCheckoutStoresOrderAndStartPurchase: one transaction holds the order,
// shown accepted, and its StartPurchase, priced from the catalog.
func TestCheckoutStoresOrderAndStartPurchase(t *testing.T) {
	shop, db := newCheckoutShop(t)
	ctx := context.Background()
	o, replayed, err := shop.Checkout(ctx, frontend.Checkout{Request: validRequest()})
	if err != nil || replayed {
		t.Fatalf("Checkout = %v, replayed %v", err, replayed)
	}
	items := []msg.Item{
		{ISBN: "9780262033848", Title: "Introduction to Algorithms", Author: "Thomas H. Cormen", Quantity: 2, PriceCents: 9500},
		{ISBN: "9781449373320", Title: "Designing Data-Intensive Applications", Author: "Martin Kleppmann", Quantity: 1, PriceCents: 4299},
	}
	addr := msg.Address{Line1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "GB"}
	want := frontend.Order{ID: "ord-1", Status: "accepted", TotalCents: 23299, Currency: "EUR",
		CreatedAt: t0, UpdatedAt: t0, Items: items, Customer: msg.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		ShippingAddress: addr, PaymentToken: "tok_visa"}
	got, err := shop.Order(ctx, "ord-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []frontend.Order{o, got} {
		if diff := cmp.Diff(want, g); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
	}
	rows := outboxRows(t, db)
	if len(rows) != 1 || rows[0].Destination != msg.Orchestrator || rows[0].Type != "StartPurchase" {
		t.Fatalf("outbox = %+v, want one StartPurchase to the orchestrator", rows)
	}
	env, m, err := msg.Decode(rows[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	wantSP := &msg.StartPurchase{OrderID: "ord-1", Customer: want.Customer, Items: items, TotalCents: 23299,
		Currency: "EUR", PaymentToken: "tok_visa", ShippingAddress: addr, PlacedAt: t0}
	if diff := cmp.Diff(wantSP, m); diff != "" || env.CorrelationID != "ord-1" {
		t.Errorf("StartPurchase (correlation %q) (-want +got):\n%s", env.CorrelationID, diff)
	}
}

// TestCheckoutIdempotency: the same key and request give the same order
// and one StartPurchase; another request with the key is refused; without
// a key every checkout is a new order.
func TestCheckoutIdempotency(t *testing.T) {
	shop, db := newCheckoutShop(t)
	ctx := context.Background()
	first := frontend.Checkout{Request: validRequest(), IdempotencyKey: "key-1", RequestHash: "h1"}
	steps := []struct {
		name         string
		c            frontend.Checkout
		wantID       string
		wantReplayed bool
		wantErr      error
	}{
		{"first", first, "ord-1", false, nil},
		{"same again", first, "ord-1", true, nil},
		{"same once more", first, "ord-1", true, nil},
		{"other request, same key", frontend.Checkout{Request: validRequest(), IdempotencyKey: "key-1", RequestHash: "h2"},
			"", false, frontend.ErrIdempotencyMismatch},
		{"other key", frontend.Checkout{Request: validRequest(), IdempotencyKey: "key-2", RequestHash: "h1"}, "ord-2", false, nil},
		{"no key", frontend.Checkout{Request: validRequest()}, "ord-3", false, nil},
		{"no key again", frontend.Checkout{Request: validRequest()}, "ord-4", false, nil},
	}
	for _, s := range steps {
		o, replayed, err := shop.Checkout(ctx, s.c)
		if !errors.Is(err, s.wantErr) || o.ID != s.wantID || replayed != s.wantReplayed {
			t.Errorf("%s: Checkout = %q, replayed %v, %v; want %q, %v, %v",
				s.name, o.ID, replayed, err, s.wantID, s.wantReplayed, s.wantErr)
		}
	}
	if n := len(outboxRows(t, db)); n != 4 {
		t.Errorf("outbox holds %d messages, want 4 (one StartPurchase per order)", n)
	}
}

// TestCheckoutRefusesInvalid: nothing is stored for an invalid request.
func TestCheckoutRefusesInvalid(t *testing.T) {
	shop, db := newCheckoutShop(t)
	req := validRequest()
	req.Items[1].Quantity = 100
	_, _, err := shop.Checkout(context.Background(), frontend.Checkout{Request: req, IdempotencyKey: "k"})
	var invalid *frontend.ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("Checkout = %v, want a ValidationError", err)
	}
	want := []frontend.FieldError{{Field: "items[1].quantity", Detail: "must be a whole number from 1 to 99"}}
	if diff := cmp.Diff(want, invalid.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if n := len(outboxRows(t, db)); n != 0 {
		t.Errorf("outbox holds %d messages after an invalid checkout", n)
	}
}

// TestCancel covers the customer's cancel in every kind of state.
func TestCancel(t *testing.T) {
	tests := []struct {
		state   string // "" for accepted: no event yet
		wantErr error
		wantMsg bool // a CancelPurchase goes out
	}{
		{"", nil, true},
		{frontend.StateChargingPayment, nil, true},
		{frontend.StateSchedulingDelivery, nil, true},
		{frontend.StateSendingConfirmation, frontend.ErrCannotCancel, false},
		{frontend.StateCompleted, frontend.ErrCannotCancel, false},
		{frontend.StateSendingDeclineNotice, frontend.ErrCannotCancel, false},
		{frontend.StateDeclined, frontend.ErrCannotCancel, false},
		{frontend.StateRefundingPayment, frontend.ErrCannotCancel, false},
		{frontend.StateCancelled, frontend.ErrCannotCancel, false},
		{frontend.StateStuck, frontend.ErrCannotCancel, false},
		{frontend.StateResolved, frontend.ErrCannotCancel, false},
		{"checking_fraud", frontend.ErrCannotCancel, false},
	}
	for _, tt := range tests {
		t.Run("state "+tt.state, func(t *testing.T) {
			shop, db := newCheckoutShop(t)
			ctx := context.Background()
			placeIn(t, shop, db, tt.state)
			o, err := shop.Cancel(ctx, "ord-1", " changed my mind ")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Cancel = %v, want %v", err, tt.wantErr)
			}
			rows := outboxRows(t, db)[1:] // after the StartPurchase
			if got := len(rows) == 1; got != tt.wantMsg || len(rows) > 1 {
				t.Fatalf("outbox after cancel = %d messages, want a CancelPurchase: %v", len(rows), tt.wantMsg)
			}
			if !tt.wantMsg {
				return
			}
			_, m, err := msg.Decode(rows[0].Body)
			want := &msg.CancelPurchase{OrderID: "ord-1", Reason: "changed my mind", RequestedBy: "customer"}
			if diff := cmp.Diff(want, m); diff != "" || err != nil {
				t.Errorf("CancelPurchase (%v) (-want +got):\n%s", err, diff)
			}
			if !o.CancelRequestedAt.Equal(t0) || frontend.CanCancel(o) {
				t.Errorf("after cancel: requested at %v, can cancel %v", o.CancelRequestedAt, frontend.CanCancel(o))
			}
			// Asked again: accepted, nothing more sent, while the saga
			// has not yet moved and once it compensates.
			for _, state := range []string{tt.state, frontend.StateRefundingPayment, frontend.StateCancelled} {
				advance(t, shop, db, state)
				if _, err := shop.Cancel(ctx, "ord-1", ""); err != nil {
					t.Errorf("second cancel in %q: %v", state, err)
				}
			}
			if n := len(outboxRows(t, db)); n != 2 {
				t.Errorf("outbox holds %d messages after repeated cancels, want 2", n)
			}
		})
	}
}

func TestCancelUnknownOrder(t *testing.T) {
	shop, _ := newCheckoutShop(t)
	if _, err := shop.Cancel(context.Background(), "nope", ""); !errors.Is(err, frontend.ErrOrderNotFound) {
		t.Errorf("Cancel(unknown) = %v, want ErrOrderNotFound", err)
	}
}

// placeIn places ord-1 and, unless state is "", moves its view there.
func placeIn(t *testing.T, shop *frontend.Shop, db *sqlx.DB, state string) {
	t.Helper()
	if _, _, err := shop.Checkout(context.Background(), frontend.Checkout{Request: validRequest()}); err != nil {
		t.Fatal(err)
	}
	advance(t, shop, db, state)
}

// advance delivers the next status event of ord-1 for state.
func advance(t *testing.T, shop *frontend.Shop, db *sqlx.DB, state string) {
	t.Helper()
	if state == "" {
		return
	}
	o, err := shop.Order(context.Background(), "ord-1")
	if err != nil {
		t.Fatal(err)
	}
	e := msg.OrderStatusChanged{OrderID: "ord-1", State: state, Event: "e", Version: o.Version + 1,
		TotalCents: 23299, Currency: "EUR", OccurredAt: t0.Add(time.Minute)}
	if err := handle(t, shop, db, &e); err != nil {
		t.Fatal(err)
	}
}

func TestValidationErrorJSON(t *testing.T) {
	b, err := json.Marshal(frontend.FieldError{Field: "items[0].isbn", Detail: "is required", Unknown: true})
	if err != nil || string(b) != `{"field":"items[0].isbn","detail":"is required"}` {
		t.Errorf("FieldError JSON = %s, %v", b, err)
	}
}
