package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"bookshop/frontend"
)

// cancel asks for the order to be cancelled. The body is optional:
// {"reason": "..."}.
func (a *api) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	reason, ok := cancelReason(w, r)
	if !ok {
		return
	}
	o, err := a.shop.Cancel(r.Context(), id, reason)
	var refused *frontend.CancelRefusedError
	switch {
	case errors.Is(err, frontend.ErrOrderNotFound):
		writeProblem(w, problem{Status: http.StatusNotFound, Title: "Order not found",
			Detail: "There is no order " + id + "."})
	case errors.As(err, &refused):
		writeProblem(w, problem{Status: http.StatusConflict, Title: "Order can no longer be cancelled",
			Detail: refused.Reason})
	case err != nil:
		a.log.Error("cancel failed", "order_id", id, "err", err)
		writeProblem(w, internalError("The cancel request could not be stored; try again."))
	default:
		w.Header().Set("Location", "/api/orders/"+o.ID)
		writeJSON(w, http.StatusAccepted, newOrderJSON(o))
	}
}

// cancelReason reads the optional JSON body of a cancel request.
func cancelReason(w http.ResponseWriter, r *http.Request) (string, bool) {
	body, err := readSmall(w, r)
	if err != nil || len(body) == 0 {
		return "", err == nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, problem{Status: http.StatusUnsupportedMediaType, Title: "Unsupported media type",
			Detail: `Send no body, or a JSON object {"reason": "..."} with Content-Type: application/json.`})
		return "", false
	}
	var in struct {
		Reason *string `json:"reason"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeProblem(w, problem{Status: http.StatusBadRequest, Title: "Invalid cancel request",
			Detail: `The body must be a JSON object {"reason": "..."}.`,
			Errors: []frontend.FieldError{{Field: "reason", Detail: "must be a string"}}})
		return "", false
	}
	if in.Reason == nil {
		return "", true
	}
	return *in.Reason, true
}

func readSmall(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, problem{Status: http.StatusRequestEntityTooLarge, Title: "Request too large",
			Detail: "A cancel request may be at most 4096 bytes."})
	case err != nil:
		writeProblem(w, problem{Status: http.StatusBadRequest, Title: "Unreadable request",
			Detail: "The request body could not be read: " + err.Error()})
	}
	return body, err
}
