// Package httpapi serves communication's inspection API: the emails it sent.
package httpapi

import (
	"log/slog"
	"net/http"

	"bookshop/communication"
)

// Routes adds the whole inspection surface to mux.
func Routes(mux *http.ServeMux, emails communication.Reader, log *slog.Logger) {
	h := &handlers{emails: emails, log: log}
	mux.HandleFunc("GET /emails", h.list)
	mux.HandleFunc("GET /emails/{id}", h.get)
}
