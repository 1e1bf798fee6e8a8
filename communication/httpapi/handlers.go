package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"bookshop/communication"
	"bookshop/pkg/service"
)

type handlers struct {
	emails communication.Reader
	log    *slog.Logger
}

// summary is one entry of GET /emails.
type summary struct {
	ID       string    `json:"id"`
	OrderID  string    `json:"order_id"`
	To       string    `json:"to"`
	Template string    `json:"template"`
	Subject  string    `json:"subject"`
	SentAt   time.Time `json:"sent_at"`
}

// detail is GET /emails/{id}: the summary and both bodies.
type detail struct {
	summary
	Text string `json:"text"`
	HTML string `json:"html"`
}

func newSummary(e communication.Email) summary {
	return summary{ID: e.ID, OrderID: e.OrderID, To: e.To, Template: e.Template, Subject: e.Subject, SentAt: e.SentAt}
}

// list answers GET /emails?order_id=ID&to=ADDR&template=T, newest first, at
// most communication.MaxList.
func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := communication.Filter{OrderID: q.Get("order_id"), To: q.Get("to"), Template: q.Get("template")}
	emails, err := h.emails.Emails(r.Context(), f)
	if err != nil {
		h.log.Error("list emails", "order_id", f.OrderID, "err", err)
		service.Problem(w, http.StatusInternalServerError, "Cannot list emails", "the email database is unavailable")
		return
	}
	out := make([]summary, 0, len(emails))
	for _, e := range emails {
		out = append(out, newSummary(e))
	}
	service.WriteJSON(w, http.StatusOK, out)
}

// get answers GET /emails/{id}.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := h.emails.Email(r.Context(), id)
	switch {
	case errors.Is(err, communication.ErrNotFound):
		service.Problem(w, http.StatusNotFound, "Email not found", "no email has id "+id)
		return
	case err != nil:
		h.log.Error("read email", "email_id", id, "err", err)
		service.Problem(w, http.StatusInternalServerError, "Cannot read email", "the email database is unavailable")
		return
	}
	service.WriteJSON(w, http.StatusOK, detail{summary: newSummary(e), Text: e.Text, HTML: e.HTML})
}
