// Package httpapi serves billing's inspection API for operators and tests:
// GET /payments?order_id=ID lists every attempt at the gateway.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"bookshop/billing"
	"bookshop/pkg/service"
)

// Limit is the most payments GET /payments returns without order_id (the
// latest ones).
const Limit = 1000

// Lister reads the ledger; billing/sqlite.Payments implements it.
type Lister interface {
	List(ctx context.Context, orderID string, limit int) ([]billing.Payment, error)
}

// Payment is the contract's JSON of one payment.
type Payment struct {
	ID          string    `json:"id"`
	OrderID     string    `json:"order_id"`
	Kind        string    `json:"kind"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

// Register adds billing's routes to mux.
func Register(mux *http.ServeMux, payments Lister, log *slog.Logger) {
	mux.Handle("GET /payments", listPayments(payments, log))
}

func listPayments(payments Lister, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orderID := r.URL.Query().Get("order_id")
		ps, err := payments.List(r.Context(), orderID, Limit)
		if err != nil {
			log.Error("list payments", "order_id", orderID, "err", err)
			service.Problem(w, http.StatusInternalServerError, "Cannot list payments", "the ledger could not be read")
			return
		}
		out := make([]Payment, 0, len(ps))
		for _, p := range ps {
			out = append(out, Payment{ID: p.ID, OrderID: p.OrderID, Kind: string(p.Kind),
				AmountCents: p.AmountCents, Currency: p.Currency, Status: string(p.Status),
				CreatedAt: p.CreatedAt.UTC()})
		}
		service.WriteJSON(w, http.StatusOK, out)
	})
}
