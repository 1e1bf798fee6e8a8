// Package httpapi serves fulfillment's inspection API, for operators and
// tests: the shipments and the stock.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"

	"bookshop/fulfillment"
	"bookshop/pkg/service"
)

// ShipmentsLimit is how many shipments GET /shipments lists without order_id.
const ShipmentsLimit = 1000

// Reader is what the API reads.
type Reader interface {
	Shipments(ctx context.Context, orderID string, limit int) ([]fulfillment.Shipment, error)
	Stock(ctx context.Context) ([]fulfillment.StockLevel, error)
}

// Shipment is one row of GET /shipments.
type Shipment struct {
	ID           string `json:"id"`
	OrderID      string `json:"order_id"`
	Status       string `json:"status"`
	ExpectedDate string `json:"expected_date"`
	TrackingID   string `json:"tracking_id"`
}

// Stock is one row of GET /stock.
type Stock struct {
	ISBN      string `json:"isbn"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
}

type api struct {
	r     Reader
	order map[string]int // catalog position of each ISBN
	log   *slog.Logger
}

// Routes adds the API to mux. catalogOrder lists the ISBNs in the order in
// which GET /stock lists them; titles no longer in the catalog come last.
func Routes(mux *http.ServeMux, r Reader, catalogOrder []string, log *slog.Logger) {
	a := &api{r: r, order: make(map[string]int, len(catalogOrder)), log: log}
	for i, isbn := range catalogOrder {
		a.order[isbn] = i
	}
	mux.HandleFunc("GET /shipments", a.shipments)
	mux.HandleFunc("GET /stock", a.stock)
}

func (a *api) shipments(w http.ResponseWriter, r *http.Request) {
	orderID := r.URL.Query().Get("order_id")
	list, err := a.r.Shipments(r.Context(), orderID, ShipmentsLimit)
	if err != nil {
		a.fail(w, err, "order_id", orderID)
		return
	}
	out := make([]Shipment, len(list))
	for i, s := range list {
		out[i] = Shipment{ID: s.ID, OrderID: s.OrderID, Status: s.Status,
			ExpectedDate: s.ExpectedDate, TrackingID: s.TrackingID}
	}
	service.WriteJSON(w, http.StatusOK, out)
}

func (a *api) stock(w http.ResponseWriter, r *http.Request) {
	levels, err := a.r.Stock(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	slices.SortStableFunc(levels, func(x, y fulfillment.StockLevel) int {
		return a.position(x.ISBN) - a.position(y.ISBN)
	})
	out := make([]Stock, len(levels))
	for i, l := range levels {
		out[i] = Stock{ISBN: l.ISBN, Available: l.Available, Reserved: l.Reserved}
	}
	service.WriteJSON(w, http.StatusOK, out)
}

func (a *api) position(isbn string) int {
	if i, ok := a.order[isbn]; ok {
		return i
	}
	return len(a.order)
}

func (a *api) fail(w http.ResponseWriter, err error, attrs ...any) {
	a.log.Error("inspection API", append(attrs, "err", err)...)
	service.Problem(w, http.StatusInternalServerError, "Internal Server Error", "could not read the database")
}
