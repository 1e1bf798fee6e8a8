// Package httpapi is the frontend's HTTP surface: the customer JSON API
// (books, checkout, an order and its live events, cancel) and the storefront
// pages that use it, server-rendered from embedded templates with a little
// plain JavaScript.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"bookshop/frontend"
	"bookshop/pkg/msg"

	"github.com/prometheus/client_golang/prometheus"
)

// Options configure the routes. Every field may be left zero.
type Options struct {
	Log *slog.Logger
	// Registry receives the request latency histogram; nil: not measured.
	Registry prometheus.Registerer
	// ShopMetrics counts the checkouts refused before they reach the shop.
	ShopMetrics *frontend.Metrics
	// Live is cancelled when the program shuts down: it ends the live
	// order streams, which would otherwise hold the HTTP server open.
	Live context.Context
	// PollInterval is how often a live stream looks for a change; 500ms
	// if zero.
	PollInterval time.Duration
}

type api struct {
	shop    *frontend.Shop
	log     *slog.Logger
	metrics *frontend.Metrics
	live    context.Context
	poll    time.Duration
	pages   *pages
}

type route struct {
	pattern string
	handler http.HandlerFunc
	stream  bool // long-lived: not in the latency histogram
}

// routes is the whole HTTP surface of the frontend (besides /healthz,
// /readyz and /metrics, which the service runtime adds).
func (a *api) routes() []route {
	return []route{
		{"GET /{$}", a.storefront, false},
		{"GET /orders/{id}", a.orderPage, false},
		{"GET /orders/{id}/live", a.orderPageLive, true},
		{"GET /static/", staticFiles(), false},
		{"GET /api/books", a.books, false},
		{"POST /api/orders", a.checkout, false},
		{"GET /api/orders/{id}", a.order, false},
		{"GET /api/orders/{id}/events", a.orderEvents, true},
		{"POST /api/orders/{id}/cancel", a.cancel, false},
	}
}

// Register adds the frontend's routes to mux (which already serves
// /healthz, /readyz and /metrics).
func Register(mux *http.ServeMux, shop *frontend.Shop, o Options) error {
	a := &api{shop: shop, log: o.Log, metrics: o.ShopMetrics, live: o.Live, poll: o.PollInterval}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.live == nil {
		a.live = context.Background()
	}
	if a.poll <= 0 {
		a.poll = 500 * time.Millisecond
	}
	var err error
	if a.pages, err = newPages(); err != nil {
		return err
	}
	latency, err := newLatency(o.Registry)
	if err != nil {
		return err
	}
	for _, r := range a.routes() {
		h := http.Handler(r.handler)
		if !r.stream {
			h = latency.measure(r.pattern, h)
		}
		mux.Handle(r.pattern, h)
	}
	return nil
}

type bookJSON struct {
	ISBN       string `json:"isbn"`
	Title      string `json:"title"`
	Author     string `json:"author"`
	PriceCents int64  `json:"price_cents"`
	Currency   string `json:"currency"`
	Available  bool   `json:"available"`
}

func (a *api) books(w http.ResponseWriter, _ *http.Request) {
	bs := a.shop.Books()
	out := make([]bookJSON, len(bs))
	for i, b := range bs {
		out[i] = bookJSON(b)
	}
	writeJSON(w, http.StatusOK, out)
}

// orderJSON is the contract's order, plus the shipping address, whether a
// cancel would still be acted on, and when the customer asked to cancel.
type orderJSON struct {
	ID                string       `json:"id"`
	Status            string       `json:"status"`
	State             string       `json:"state"`
	Items             []msg.Item   `json:"items"`
	TotalCents        int64        `json:"total_cents"`
	Currency          string       `json:"currency"`
	Customer          msg.Customer `json:"customer"`
	ShippingAddress   msg.Address  `json:"shipping_address"`
	Delivery          deliveryJSON `json:"delivery"`
	FailureReason     string       `json:"failure_reason"`
	CanCancel         bool         `json:"can_cancel"`
	CancelRequestedAt *time.Time   `json:"cancel_requested_at,omitempty"`
	CreatedAt         time.Time    `json:"created_at"`
	UpdatedAt         time.Time    `json:"updated_at"`
}

// deliveryJSON fields are empty strings until a delivery is scheduled.
type deliveryJSON struct {
	ExpectedDate string `json:"expected_date"`
	TrackingID   string `json:"tracking_id"`
}

func newOrderJSON(o frontend.Order) orderJSON {
	items := o.Items
	if items == nil {
		items = []msg.Item{}
	}
	out := orderJSON{
		ID: o.ID, Status: o.Status, State: o.State, Items: items,
		TotalCents: o.TotalCents, Currency: o.Currency, Customer: o.Customer,
		ShippingAddress: o.ShippingAddress,
		Delivery:        deliveryJSON{ExpectedDate: o.ExpectedDate, TrackingID: o.TrackingID},
		FailureReason:   o.FailureReason, CanCancel: frontend.CanCancel(o),
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
	}
	if !o.CancelRequestedAt.IsZero() {
		at := o.CancelRequestedAt.UTC()
		out.CancelRequestedAt = &at
	}
	return out
}

func (a *api) order(w http.ResponseWriter, r *http.Request) {
	o, ok := a.loadOrder(w, r)
	if ok {
		writeJSON(w, http.StatusOK, newOrderJSON(o))
	}
}

// loadOrder answers 404 or 500 itself when the order cannot be had.
func (a *api) loadOrder(w http.ResponseWriter, r *http.Request) (frontend.Order, bool) {
	id := r.PathValue("id")
	o, err := a.shop.Order(r.Context(), id)
	switch {
	case errors.Is(err, frontend.ErrOrderNotFound):
		writeProblem(w, problem{Status: http.StatusNotFound, Title: "Order not found",
			Detail: "There is no order " + id + "."})
		return o, false
	case err != nil:
		a.log.Error("load order", "order_id", id, "err", err)
		writeProblem(w, internalError("The order could not be loaded; try again."))
		return o, false
	}
	return o, true
}
