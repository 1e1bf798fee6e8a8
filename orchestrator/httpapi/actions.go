package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/msg"
	"bookshop/pkg/outbox"
	pkgsqlite "bookshop/pkg/sqlite"

	"github.com/jmoiron/sqlx"
)

// outcome is what an action answers, decided inside its transaction.
type outcome struct {
	status int
	body   any
	sent   bool // it added messages to the outbox
}

// remembered reports whether an Idempotency-Key keeps this answer: what
// the action did (202), or that the state refused it (409); not an order
// that does not exist yet, nor a failure.
func (o outcome) remembered() bool {
	return o.status == http.StatusAccepted || o.status == http.StatusConflict
}

type actionResult struct {
	Action   string  `json:"action"`
	ActionID string  `json:"action_id"`
	By       string  `json:"by"`
	Reason   string  `json:"reason"`
	Order    summary `json:"order"`
}

// action serves POST /admin/orders/{id}/NAME with {"reason": "..."}.
func (a *Admin) action(name, event string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Reason string `json:"reason"`
		}
		raw, ok := readBody(w, r, &body)
		if !ok {
			return
		}
		reason, bad := checkReason(body.Reason)
		if bad != nil {
			invalid(w, *bad)
			return
		}
		id := r.PathValue("id")
		act := orchestrator.Action{Event: event, By: who(r), Reason: reason, ID: msg.NewID()}
		a.once(w, r, raw, name, func(ctx context.Context, tx *sqlx.Tx) (outcome, error) {
			return a.act(ctx, tx, id, name, act)
		})
	}
}

func (a *Admin) act(ctx context.Context, tx *sqlx.Tx, id, name string, act orchestrator.Action) (outcome, error) {
	s, out, err := a.Orchestrator.Act(ctx, tx, id, act)
	var refused *orchestrator.RefusedError
	switch {
	case errors.Is(err, orchestrator.ErrNotFound):
		return outcome{status: http.StatusNotFound, body: problemBody(http.StatusNotFound, "Not found", "no order "+id, nil)}, nil
	case errors.As(err, &refused):
		s := &orchestrator.Saga{State: refused.State, Step: refused.Step}
		detail := fmt.Sprintf("cannot %s order %s: %s", name, id, refused.Why)
		return outcome{status: http.StatusConflict, body: problemBody(http.StatusConflict, "Not allowed in this state", detail,
			map[string]any{"state": refused.State, "step": refused.Step, "allowed_actions": a.allowed(s)})}, nil
	case err != nil:
		return outcome{}, err
	}
	if err := outbox.Add(ctx, tx, out...); err != nil {
		return outcome{}, err
	}
	return outcome{status: http.StatusAccepted, sent: len(out) > 0, body: actionResult{Action: name, ActionID: act.ID,
		By: act.By, Reason: act.Reason, Order: a.summary(s)}}, nil
}

// bulkRetry serves POST /admin/orders/retry with {"step", "reason",
// "limit"}: retry the orders stuck at step, oldest first, at most limit
// (default 100, at most 1000), all in one transaction.
func (a *Admin) bulkRetry(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Step   string `json:"step"`
		Reason string `json:"reason"`
		Limit  *int   `json:"limit"`
	}
	raw, ok := readBody(w, r, &body)
	if !ok {
		return
	}
	var errs []fieldError
	if !a.Machine.IsStep(body.Step) {
		errs = append(errs, fieldError{"step", fmt.Sprintf("must name a step of the saga (got %q)", body.Step)})
	}
	reason, bad := checkReason(body.Reason)
	if bad != nil {
		errs = append(errs, *bad)
	}
	limit := 100
	if body.Limit != nil {
		limit = *body.Limit
		if limit < 1 || limit > 1000 {
			errs = append(errs, fieldError{"limit", "must be between 1 and 1000"})
		}
	}
	if len(errs) > 0 {
		invalid(w, errs...)
		return
	}
	by := who(r)
	a.once(w, r, raw, "bulk_retry", func(ctx context.Context, tx *sqlx.Tx) (outcome, error) {
		return a.retryStuck(ctx, tx, body.Step, reason, by, limit)
	})
}

func (a *Admin) retryStuck(ctx context.Context, tx *sqlx.Tx, step, reason, by string, limit int) (outcome, error) {
	ids, err := sqlite.Store{}.StuckAt(ctx, tx, step, limit)
	if err != nil {
		return outcome{}, err
	}
	for _, id := range ids {
		act := orchestrator.Action{Event: orchestrator.EvRetry, By: by, Reason: reason, ID: msg.NewID()}
		_, out, err := a.Orchestrator.Act(ctx, tx, id, act)
		if err != nil {
			return outcome{}, err
		}
		if err := outbox.Add(ctx, tx, out...); err != nil {
			return outcome{}, err
		}
	}
	return outcome{status: http.StatusAccepted, sent: len(ids) > 0, body: map[string]any{
		"action": "retry", "step": step, "by": by, "reason": reason, "count": len(ids), "retried": append([]string{}, ids...)}}, nil
}

// once runs do in one transaction with the saga rows, their history and
// the outbox, under the request's Idempotency-Key if it has one: a key
// already used answers what it answered then (Idempotent-Replayed: true),
// or 422 if it was used for another request.
func (a *Admin) once(w http.ResponseWriter, r *http.Request, raw []byte, name string,
	do func(context.Context, *sqlx.Tx) (outcome, error)) {
	if a.Orchestrator == nil || a.DB == nil {
		problem(w, http.StatusServiceUnavailable, "Actions unavailable", "this server was started without its saga engine", nil)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		invalid(w, fieldError{"Idempotency-Key", "must be at most 200 characters"})
		return
	}
	sum := sha256.Sum256(raw)
	fingerprint := r.Method + " " + r.URL.Path + " " + hex.EncodeToString(sum[:16])
	var res outcome
	var prev *sqlite.Response
	err := pkgsqlite.InTx(r.Context(), a.DB, func(tx *sqlx.Tx) error {
		if key != "" {
			p, found, err := a.requests.Lookup(r.Context(), tx, key)
			if err != nil || found {
				prev = &p
				return err
			}
		}
		var err error
		if res, err = do(r.Context(), tx); err != nil || key == "" || !res.remembered() {
			return err
		}
		return a.remember(r.Context(), tx, key, fingerprint, res)
	})
	a.answer(w, name, fingerprint, res, prev, err)
}

func (a *Admin) remember(ctx context.Context, tx *sqlx.Tx, key, fingerprint string, res outcome) error {
	body, err := json.MarshalIndent(res.body, "", "  ")
	if err != nil {
		return fmt.Errorf("encode response for idempotency key %q: %w", key, err)
	}
	return a.requests.Remember(ctx, tx, key, sqlite.Response{Request: fingerprint, Status: res.status, Body: append(body, '\n')}, a.now())
}

func (a *Admin) answer(w http.ResponseWriter, name, fingerprint string, res outcome, prev *sqlite.Response, err error) {
	outcomeName := "error"
	defer func() {
		if a.Observe != nil {
			a.Observe(name, outcomeName)
		}
	}()
	switch {
	case err != nil:
		a.log().Error("admin action failed", "action", name, "err", err)
		problem(w, http.StatusInternalServerError, "Action failed", err.Error(), nil)
	case prev != nil && prev.Request != fingerprint:
		outcomeName = "key_reused"
		problem(w, http.StatusUnprocessableEntity, "Idempotency-Key reused",
			"this Idempotency-Key was used for another request; use a new key for a new request", nil)
	case prev != nil:
		outcomeName = "replayed"
		w.Header().Set("Idempotent-Replayed", "true")
		writeRaw(w, prev.Status, contentTypeFor(prev.Status), prev.Body)
	default:
		outcomeName = map[int]string{http.StatusAccepted: "done", http.StatusConflict: "refused",
			http.StatusNotFound: "not_found"}[res.status]
		if res.sent && a.Notify != nil {
			a.Notify()
		}
		writeJSON(w, res.status, contentTypeFor(res.status), res.body)
	}
}

func contentTypeFor(status int) string {
	if status >= 400 {
		return "application/problem+json"
	}
	return "application/json"
}

// problemBody is a problem document to answer from inside a transaction.
func problemBody(status int, title, detail string, ext map[string]any) map[string]any {
	body := map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail}
	for k, v := range ext {
		body[k] = v
	}
	return body
}
