package frontend

import (
	"context"
	"errors"
	"fmt"

	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	"bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// CheckoutRequest is what a customer sends to buy books. Prices are not
// part of it: they come from the catalog.
type CheckoutRequest struct {
	Customer        msg.Customer
	Items           []LineRequest
	PaymentToken    string
	ShippingAddress msg.Address
}

// LineRequest is one line of a checkout: a book and how many copies.
type LineRequest struct {
	ISBN     string
	Quantity int
}

// ErrIdempotencyMismatch is returned when an Idempotency-Key already placed
// an order with a different request.
var ErrIdempotencyMismatch = errors.New("idempotency key was used with a different request")

// Checkout is one checkout attempt: the request, and when the client sent
// an Idempotency-Key, the key and the hash of its canonical request body.
type Checkout struct {
	Request        CheckoutRequest
	IdempotencyKey string
	RequestHash    string
}

// Checkout validates c and stores the order and its StartPurchase in one
// transaction; the relay publishes it later, so nothing here needs the
// broker. It returns the order and whether it was placed earlier with the
// same Idempotency-Key and request (a replay). Invalid input is a
// *ValidationError; a key used with another request, ErrIdempotencyMismatch.
func (s *Shop) Checkout(ctx context.Context, c Checkout) (Order, bool, error) {
	req, errs := s.Validate(c.Request)
	if len(errs) > 0 {
		s.metrics.checkout(checkoutResult(errs))
		return Order{}, false, &ValidationError{Fields: errs}
	}
	o, replayed, err := s.place(ctx, c, req)
	if errors.Is(err, ErrKeyTaken) {
		// Another process placed it between our look-up and insert: the
		// second attempt finds it.
		o, replayed, err = s.place(ctx, c, req)
	}
	switch {
	case errors.Is(err, ErrIdempotencyMismatch):
		s.metrics.checkout("idempotency_mismatch")
		return Order{}, false, err
	case err != nil:
		s.metrics.checkout("error")
		return Order{}, false, err
	case replayed:
		s.metrics.checkout("replayed")
		s.log.Info("checkout replayed", "order_id", o.ID, "idempotency_key", c.IdempotencyKey)
	default:
		s.notify()
		s.metrics.checkout("accepted")
		s.log.Info("order accepted", "order_id", o.ID, "total_cents", o.TotalCents,
			"currency", o.Currency, "lines", len(o.Items), "idempotency_key", c.IdempotencyKey)
	}
	return o, replayed, nil
}

// place runs one checkout transaction: find the key's order, or store a new
// order with its StartPurchase in the outbox.
func (s *Shop) place(ctx context.Context, c Checkout, req CheckoutRequest) (Order, bool, error) {
	var o Order
	replayed := false
	err := sqlite.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if c.IdempotencyKey != "" {
			id, hash, err := s.orders.ByKey(ctx, tx, c.IdempotencyKey)
			switch {
			case err == nil && hash != c.RequestHash:
				return fmt.Errorf("key %q placed order %s: %w", c.IdempotencyKey, id, ErrIdempotencyMismatch)
			case err == nil:
				replayed = true
				o, err = s.orders.Get(ctx, tx, id)
				return err
			case !errors.Is(err, ErrOrderNotFound):
				return err
			}
		}
		o = s.newOrder(req)
		if err := s.orders.Place(ctx, tx, o, c.IdempotencyKey, c.RequestHash); err != nil {
			return err
		}
		env, err := msg.New(startPurchase(o), o.ID, "", o.CreatedAt)
		if err != nil {
			return err
		}
		return outbox.Add(ctx, tx, env.To(msg.Orchestrator))
	})
	if err != nil {
		return Order{}, false, fmt.Errorf("checkout: %w", err)
	}
	return o, replayed, nil
}

// newOrder prices a valid request from the catalog.
func (s *Shop) newOrder(req CheckoutRequest) Order {
	now := s.now().UTC()
	o := Order{
		ID: s.newID(), Status: StatusAccepted, CreatedAt: now, UpdatedAt: now,
		Customer: req.Customer, ShippingAddress: req.ShippingAddress, PaymentToken: req.PaymentToken,
	}
	for _, line := range req.Items {
		b, _ := s.catalog.Book(line.ISBN) // Validate checked it is there
		o.Items = append(o.Items, msg.Item{ISBN: b.ISBN, Title: b.Title, Author: b.Author,
			Quantity: line.Quantity, PriceCents: b.PriceCents})
		o.TotalCents += b.PriceCents * int64(line.Quantity)
		o.Currency = b.Currency
	}
	return o
}

func startPurchase(o Order) *msg.StartPurchase {
	return &msg.StartPurchase{
		OrderID: o.ID, Customer: o.Customer, Items: o.Items, TotalCents: o.TotalCents,
		Currency: o.Currency, PaymentToken: o.PaymentToken, ShippingAddress: o.ShippingAddress,
		PlacedAt: o.CreatedAt,
	}
}
