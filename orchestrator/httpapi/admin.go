// Package httpapi is the orchestrator's admin REST API: find orders, read one
// order's story, and see the saga diagram.
package httpapi

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"
	"bookshop/pkg/service"
)

// Admin serves /admin/.
type Admin struct {
	Reader  sqlite.Reader
	Machine *orchestrator.Machine
	Token   string
	Now     func() time.Time
}

// Routes lists the whole admin surface.
func (a *Admin) Routes(mux *http.ServeMux) {
	mux.Handle("GET /admin/orders", a.auth(a.listOrders))
	mux.Handle("GET /admin/orders/{id}", a.auth(a.getOrder))
	mux.Handle("GET /admin/stats", a.auth(a.stats))
	mux.Handle("GET /admin/saga", a.auth(a.saga))
}

// auth requires the bearer token, compared in constant time.
func (a *Admin) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bookshop-admin"`)
			service.Problem(w, http.StatusUnauthorized, "Unauthorized", "a valid admin bearer token is required")
			return
		}
		next(w, r)
	})
}

type summary struct {
	ID            string     `json:"id"`
	State         string     `json:"state"`
	Step          string     `json:"step"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	StuckSince    *time.Time `json:"stuck_since"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func toSummary(s *orchestrator.Saga) summary {
	return summary{ID: s.ID, State: s.State, Step: s.Step, Attempts: s.Attempts, NextAttemptAt: s.Deadline,
		StuckSince: s.StuckSince, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func (a *Admin) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := sqlite.Filter{State: q.Get("state"), After: q.Get("after"), Limit: 100, Now: a.Now()}
	if f.State != "" && !contains(a.Machine.States(), f.State) {
		service.Problem(w, http.StatusBadRequest, "Bad state", fmt.Sprintf("state %q is not a saga state", f.State))
		return
	}
	if v := q.Get("stuck"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			service.Problem(w, http.StatusBadRequest, "Bad stuck", "stuck must be true or false")
			return
		}
		f.Stuck = b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			service.Problem(w, http.StatusBadRequest, "Bad limit", "limit must be between 1 and 1000")
			return
		}
		f.Limit = n
	}
	sagas, next, err := a.Reader.List(r.Context(), f)
	if errors.Is(err, sqlite.ErrBadCursor) {
		service.Problem(w, http.StatusBadRequest, "Bad cursor", "after must be a cursor from a previous page")
		return
	}
	if err != nil {
		service.Problem(w, http.StatusInternalServerError, "List failed", err.Error())
		return
	}
	out := make([]summary, len(sagas))
	for i, s := range sagas {
		out[i] = toSummary(s)
	}
	service.WriteJSON(w, http.StatusOK, map[string]any{"orders": out, "next": next})
}

type detail struct {
	summary
	DefinitionVersion int                         `json:"definition_version"`
	CommandID         string                      `json:"command_id"`
	LastError         string                      `json:"last_error"`
	Version           int64                       `json:"version"`
	Data              orchestrator.Data           `json:"data"`
	History           []orchestrator.HistoryEntry `json:"history"`
}

func (a *Admin) getOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s, err := a.Reader.Get(r.Context(), id)
	if errors.Is(err, orchestrator.ErrNotFound) {
		service.Problem(w, http.StatusNotFound, "Not found", "no order "+id)
		return
	}
	if err != nil {
		service.Problem(w, http.StatusInternalServerError, "Load failed", err.Error())
		return
	}
	h, err := a.Reader.History(r.Context(), id)
	if err != nil {
		service.Problem(w, http.StatusInternalServerError, "Load failed", err.Error())
		return
	}
	service.WriteJSON(w, http.StatusOK, detail{summary: toSummary(s), DefinitionVersion: s.DefinitionVersion,
		CommandID: s.CommandID, LastError: s.LastError, Version: s.Version, Data: s.Data, History: h})
}

func (a *Admin) stats(w http.ResponseWriter, r *http.Request) {
	counts, err := a.Reader.Stats(r.Context())
	if err != nil {
		service.Problem(w, http.StatusInternalServerError, "Stats failed", err.Error())
		return
	}
	total := 0
	states := map[string]int{}
	for _, s := range a.Machine.States() {
		states[s] = counts[s]
		total += counts[s]
	}
	service.WriteJSON(w, http.StatusOK, map[string]any{"states": states, "total": total})
}

func (a *Admin) saga(w http.ResponseWriter, r *http.Request) {
	diagram, err := a.Machine.Mermaid()
	if err != nil {
		service.Problem(w, http.StatusInternalServerError, "Diagram failed", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(diagram))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
