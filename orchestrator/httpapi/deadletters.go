package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bookshop/pkg/rabbit"
)

// DeadLetters is what the admin API needs of the broker's dead-letter
// queues (every service's NAME.dead-letter); cmd/orchestrator implements
// it with pkg/rabbit.
type DeadLetters interface {
	// List returns up to limit messages of each queue, oldest first.
	List(ctx context.Context, limit int) ([]rabbit.DeadLetter, error)
	// Counts returns the messages in each queue.
	Counts(ctx context.Context) (map[string]int, error)
	// Replay sends message id to its original queue, with body instead of
	// its own when body is not nil, then removes it (rabbit.ErrDeadLetterNotFound).
	Replay(ctx context.Context, id string, body []byte) (rabbit.DeadLetter, error)
	// Delete removes message id (rabbit.ErrDeadLetterNotFound).
	Delete(ctx context.Context, id string) (rabbit.DeadLetter, error)
}

type deadLetterView struct {
	ID             string     `json:"id"`
	Queue          string     `json:"queue"`
	OriginalQueue  string     `json:"original_queue"`
	MessageID      string     `json:"message_id"`
	Type           string     `json:"type"`
	CorrelationID  string     `json:"correlation_id"`
	Reason         string     `json:"reason"`
	DeadLetteredAt *time.Time `json:"dead_lettered_at"`
	Size           int        `json:"size"`
	Preview        string     `json:"preview"` // the first bytes of the body, as text
}

func view(d rabbit.DeadLetter) deadLetterView {
	v := deadLetterView{ID: d.ID, Queue: d.Queue, OriginalQueue: d.OriginalQueue, MessageID: d.MessageID,
		Type: d.Type, CorrelationID: d.CorrelationID, Reason: d.Reason, Size: d.Size,
		Preview: strings.ToValidUTF8(string(d.Preview), "\uFFFD")}
	if v.Type == "" {
		v.Type = envelopeType(d.Preview)
	}
	if !d.DeadLetteredAt.IsZero() {
		at := d.DeadLetteredAt.UTC()
		v.DeadLetteredAt = &at
	}
	return v
}

// envelopeType reads the envelope's type from a body that lacks the AMQP
// type property, if the preview holds it.
func envelopeType(preview []byte) string {
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(preview, &env) == nil {
		return env.Type
	}
	return ""
}

// listDeadLetters: ?limit=N per queue (default 100, at most 1000).
func (a *Admin) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	if !a.haveDeadLetters(w) {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			invalid(w, fieldError{"limit", "must be between 1 and 1000"})
			return
		}
		limit = n
	}
	dls, err := a.DeadLetters.List(r.Context(), limit)
	if err != nil {
		a.brokerProblem(w, "list dead letters", err)
		return
	}
	counts, err := a.DeadLetters.Counts(r.Context())
	if err != nil {
		a.brokerProblem(w, "count dead letters", err)
		return
	}
	out := make([]deadLetterView, len(dls))
	for i, d := range dls {
		out[i] = view(d)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"dead_letters": out, "queues": counts})
}

// replayDeadLetter: optional body {"body": corrected message, "reason": "..."};
// a JSON string is sent as its text, any other JSON value as it is.
func (a *Admin) replayDeadLetter(w http.ResponseWriter, r *http.Request) {
	if !a.haveDeadLetters(w) {
		return
	}
	var in struct {
		Body   json.RawMessage `json:"body"`
		Reason string          `json:"reason"`
	}
	if _, ok := readBody(w, r, &in); !ok {
		return
	}
	var body []byte
	if len(in.Body) > 0 && string(in.Body) != "null" {
		var text string
		if err := json.Unmarshal(in.Body, &text); err == nil {
			body = []byte(text)
		} else {
			body = in.Body
		}
	}
	d, err := a.DeadLetters.Replay(r.Context(), r.PathValue("id"), body)
	if err != nil {
		a.brokerProblem(w, "replay dead letter "+r.PathValue("id"), err)
		return
	}
	a.log().Warn("dead letter replayed", "message_id", d.MessageID, "order_id", d.CorrelationID, "queue", d.Queue,
		"to", d.OriginalQueue, "corrected", body != nil, "by", who(r), "reason", in.Reason)
	writeJSON(w, http.StatusAccepted, "application/json", map[string]any{"replayed": view(d), "corrected": body != nil})
}

// deleteDeadLetter: optional body {"reason": "..."}, logged.
func (a *Admin) deleteDeadLetter(w http.ResponseWriter, r *http.Request) {
	if !a.haveDeadLetters(w) {
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if _, ok := readBody(w, r, &in); !ok {
		return
	}
	d, err := a.DeadLetters.Delete(r.Context(), r.PathValue("id"))
	if err != nil {
		a.brokerProblem(w, "delete dead letter "+r.PathValue("id"), err)
		return
	}
	a.log().Warn("dead letter deleted", "message_id", d.MessageID, "order_id", d.CorrelationID, "queue", d.Queue,
		"by", who(r), "reason", in.Reason)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"deleted": view(d)})
}

func (a *Admin) haveDeadLetters(w http.ResponseWriter) bool {
	if a.DeadLetters == nil {
		problem(w, http.StatusServiceUnavailable, "Dead letters unavailable", "this server has no broker connection for dead letters", nil)
		return false
	}
	return true
}

func (a *Admin) brokerProblem(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, rabbit.ErrDeadLetterNotFound):
		problem(w, http.StatusNotFound, "Not found", what+": no dead-letter queue holds it", nil)
	case errors.Is(err, rabbit.ErrTooManyDeadLetters):
		problem(w, http.StatusConflict, "Too many dead letters", what+": "+err.Error(), nil)
	case errors.Is(err, rabbit.ErrUnroutable):
		problem(w, http.StatusConflict, "Original queue unknown", what+": "+err.Error(), nil)
	default:
		a.log().Error("dead-letter operation failed", "op", what, "err", err)
		problem(w, http.StatusBadGateway, "Broker unavailable", what+": "+err.Error(), nil)
	}
}
