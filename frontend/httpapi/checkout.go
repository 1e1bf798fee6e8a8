package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"bookshop/frontend"
)

// MaxBody is the largest checkout body accepted (contract: 64 KiB).
const MaxBody = 64 << 10

// MaxKeyLength is the longest Idempotency-Key accepted.
const MaxKeyLength = 255

func (a *api) checkout(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readJSONBody(w, r)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	req, typeErrs, err := decodeCheckout(body)
	if err != nil {
		a.metrics.Checkout("unsupported_media_type")
		writeProblem(w, problem{Status: http.StatusUnsupportedMediaType, Title: "Not JSON",
			Detail: "The body must be a JSON object: " + err.Error()})
		return
	}
	if fe, ok := checkKey(key); !ok {
		typeErrs = append(typeErrs, fe)
	}
	if len(typeErrs) > 0 {
		_, errs := a.shop.Validate(req)
		a.metrics.Checkout("invalid")
		writeInvalid(w, merge(typeErrs, errs))
		return
	}
	c := frontend.Checkout{Request: req, IdempotencyKey: key}
	if key != "" {
		// Only a key's later requests are compared with this one.
		c.RequestHash = requestHash(body)
	}
	o, replayed, err := a.shop.Checkout(r.Context(), c)
	var invalid *frontend.ValidationError
	switch {
	case errors.As(err, &invalid):
		writeInvalid(w, invalid.Fields)
	case errors.Is(err, frontend.ErrIdempotencyMismatch):
		writeProblem(w, problem{Status: http.StatusUnprocessableEntity, Title: "Idempotency-Key reused",
			Detail: "This Idempotency-Key was already used to place an order with a different request. " +
				"Send the same request to get that order, or use a new key for a new order."})
	case err != nil:
		a.log.Error("checkout failed", "err", err, "idempotency_key", key)
		writeProblem(w, internalError("The order could not be stored; nothing was charged. Try again."))
	default:
		w.Header().Set("Location", "/api/orders/"+o.ID)
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeJSON(w, http.StatusAccepted, newOrderJSON(o))
	}
}

// readJSONBody answers 415 to a body that is not declared JSON and 413 to
// one over MaxBody.
func (a *api) readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		a.metrics.Checkout("unsupported_media_type")
		w.Header().Set("Accept-Post", "application/json")
		writeProblem(w, problem{Status: http.StatusUnsupportedMediaType, Title: "Unsupported media type",
			Detail: "Send the order as JSON, with Content-Type: application/json."})
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		a.metrics.Checkout("too_large")
		writeProblem(w, problem{Status: http.StatusRequestEntityTooLarge, Title: "Request too large",
			Detail: fmt.Sprintf("An order may be at most %d bytes of JSON.", MaxBody)})
		return nil, false
	case err != nil:
		a.metrics.Checkout("invalid")
		writeProblem(w, problem{Status: http.StatusBadRequest, Title: "Unreadable request",
			Detail: "The request body could not be read: " + err.Error()})
		return nil, false
	}
	return body, true
}

func writeInvalid(w http.ResponseWriter, errs []frontend.FieldError) {
	if (&frontend.ValidationError{Fields: errs}).OnlyUnknown() {
		writeProblem(w, problem{Status: http.StatusUnprocessableEntity, Title: "Unknown book",
			Detail: "The order names a book we do not sell.", Errors: errs})
		return
	}
	detail := "1 field is invalid."
	if len(errs) != 1 {
		detail = fmt.Sprintf("%d fields are invalid.", len(errs))
	}
	writeProblem(w, problem{Status: http.StatusBadRequest, Title: "Invalid order", Detail: detail, Errors: errs})
}

// checkKey accepts an Idempotency-Key of 1 to MaxKeyLength visible ASCII
// characters (a UUID, say), or none.
func checkKey(key string) (frontend.FieldError, bool) {
	ok := len(key) <= MaxKeyLength
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if ok {
		return frontend.FieldError{}, true
	}
	return frontend.FieldError{Field: "Idempotency-Key",
		Detail: fmt.Sprintf("must be 1 to %d visible ASCII characters, such as a UUID", MaxKeyLength)}, false
}

// merge lists the type errors, then every rule error for another field.
func merge(typeErrs, ruleErrs []frontend.FieldError) []frontend.FieldError {
	out := append([]frontend.FieldError(nil), typeErrs...)
	seen := map[string]bool{}
	for _, e := range typeErrs {
		seen[e.Field] = true
	}
	for _, e := range ruleErrs {
		if !seen[e.Field] {
			out = append(out, e)
		}
	}
	return out
}

// requestHash identifies a request body whatever its spacing and key order:
// the SHA-256 of its canonical JSON (objects with sorted keys, compact).
func requestHash(body []byte) string {
	var v any
	canonical := body
	if json.Unmarshal(body, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canonical = b
		}
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
