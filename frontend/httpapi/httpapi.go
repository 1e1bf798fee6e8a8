// Package httpapi is the frontend's HTTP surface: the customer JSON API and,
// for now, a placeholder storefront page.
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"bookshop/frontend"
	"bookshop/pkg/msg"
	"bookshop/pkg/service"
)

// Register adds the frontend's routes to mux (which already serves
// /healthz, /readyz and /metrics).
func Register(mux *http.ServeMux, shop *frontend.Shop, log *slog.Logger) error {
	page, err := newPage()
	if err != nil {
		return err
	}
	mux.HandleFunc("GET /{$}", storefront(shop, page, log))
	mux.HandleFunc("GET /api/books", books(shop))
	mux.HandleFunc("GET /api/orders/{id}", order(shop, log))
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

func books(shop *frontend.Shop) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		bs := shop.Books()
		out := make([]bookJSON, len(bs))
		for i, b := range bs {
			out[i] = bookJSON(b)
		}
		service.WriteJSON(w, http.StatusOK, out)
	}
}

type orderJSON struct {
	ID            string       `json:"id"`
	Status        string       `json:"status"`
	State         string       `json:"state"`
	Items         []msg.Item   `json:"items"`
	TotalCents    int64        `json:"total_cents"`
	Currency      string       `json:"currency"`
	Customer      msg.Customer `json:"customer"`
	Delivery      deliveryJSON `json:"delivery"`
	FailureReason string       `json:"failure_reason"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
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
	return orderJSON{
		ID: o.ID, Status: o.Status, State: o.State, Items: items,
		TotalCents: o.TotalCents, Currency: o.Currency, Customer: o.Customer,
		Delivery:      deliveryJSON{ExpectedDate: o.ExpectedDate, TrackingID: o.TrackingID},
		FailureReason: o.FailureReason,
		CreatedAt:     o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(),
	}
}

func order(shop *frontend.Shop, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		o, err := shop.Order(r.Context(), id)
		switch {
		case errors.Is(err, frontend.ErrOrderNotFound):
			service.Problem(w, http.StatusNotFound, "Order not found", "There is no order "+id+".")
		case err != nil:
			log.Error("load order", "order_id", id, "err", err)
			service.Problem(w, http.StatusInternalServerError, "Internal error", "The order could not be loaded; try again.")
		default:
			service.WriteJSON(w, http.StatusOK, newOrderJSON(o))
		}
	}
}
