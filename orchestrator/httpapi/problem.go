package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// maxReason bounds an operator's reason, in characters.
const maxReason = 1000

// fieldError names one bad field of a request.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem writes an RFC 9457 problem+json response; ext adds members.
func problem(w http.ResponseWriter, status int, title, detail string, ext map[string]any) {
	writeJSON(w, status, "application/problem+json", problemBody(status, title, detail, ext))
}

// invalid writes a 400 naming each bad field.
func invalid(w http.ResponseWriter, errs ...fieldError) {
	var parts []string
	for _, e := range errs {
		parts = append(parts, e.Field+" "+e.Message)
	}
	problem(w, http.StatusBadRequest, "Invalid request", strings.Join(parts, "; "), map[string]any{"errors": errs})
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, contentType, append(body, '\n'))
}

func writeRaw(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing to do
}

// readBody reads a JSON request body of at most maxBody bytes into v and
// returns its raw bytes. An empty body leaves v as it is. On failure it
// has written the response and returns false.
func readBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem(w, http.StatusRequestEntityTooLarge, "Body too large", fmt.Sprintf("the body may be at most %d bytes", maxBody), nil)
		return nil, false
	}
	if err != nil {
		problem(w, http.StatusBadRequest, "Unreadable body", err.Error(), nil)
		return nil, false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return raw, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		problem(w, http.StatusBadRequest, "Invalid JSON", "the body must be a JSON object: "+err.Error(), nil)
		return nil, false
	}
	return raw, true
}

// checkReason trims an operator's reason and says what is wrong with it.
func checkReason(reason string) (string, *fieldError) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", &fieldError{"reason", "is required: say why, for the order's timeline"}
	case utf8.RuneCountInString(reason) > maxReason:
		return "", &fieldError{"reason", fmt.Sprintf("must be at most %d characters", maxReason)}
	}
	return reason, nil
}
