package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"bookshop/orchestrator"
	"bookshop/orchestrator/sqlite"
)

type summary struct {
	ID             string     `json:"id"`
	State          string     `json:"state"`
	Step           string     `json:"step"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	StuckSince     *time.Time `json:"stuck_since"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	AllowedActions []string   `json:"allowed_actions"`
}

func (a *Admin) summary(s *orchestrator.Saga) summary {
	return summary{ID: s.ID, State: s.State, Step: s.Step, Attempts: s.Attempts, NextAttemptAt: s.Deadline,
		StuckSince: s.StuckSince, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, AllowedActions: a.allowed(s)}
}

// allowed lists the actions the saga's state has a row for.
func (a *Admin) allowed(s *orchestrator.Saga) []string {
	out := []string{}
	for _, act := range actions {
		if a.Machine.Allows(s.State, s.Step, act.event) {
			out = append(out, act.name)
		}
	}
	return out
}

// listOrders: ?state=S&step=S&stuck=true&older_than=DURATION&limit=N&after=CURSOR,
// oldest first.
func (a *Admin) listOrders(w http.ResponseWriter, r *http.Request) {
	f, errs := a.filter(r)
	if len(errs) > 0 {
		invalid(w, errs...)
		return
	}
	sagas, next, err := a.Reader.List(r.Context(), f)
	if errors.Is(err, sqlite.ErrBadCursor) {
		invalid(w, fieldError{"after", "must be a cursor from a previous page"})
		return
	}
	if err != nil {
		problem(w, http.StatusInternalServerError, "List failed", err.Error(), nil)
		return
	}
	out := make([]summary, len(sagas))
	for i, s := range sagas {
		out[i] = a.summary(s)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"orders": out, "next": next})
}

func (a *Admin) filter(r *http.Request) (sqlite.Filter, []fieldError) {
	q := r.URL.Query()
	now := a.now()
	f := sqlite.Filter{State: q.Get("state"), Step: q.Get("step"), After: q.Get("after"), Limit: 100, Now: now}
	var errs []fieldError
	if f.State != "" && !slices.Contains(a.Machine.States(), f.State) {
		errs = append(errs, fieldError{"state", fmt.Sprintf("%q is not a saga state (%s)", f.State, strings.Join(a.Machine.States(), ", "))})
	}
	if f.Step != "" && !a.Machine.IsStep(f.Step) {
		errs = append(errs, fieldError{"step", fmt.Sprintf("%q is not a step of the saga", f.Step)})
	}
	if v := q.Get("stuck"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fieldError{"stuck", "must be true or false"})
		}
		f.Stuck = b
	}
	if v := q.Get("older_than"); v != "" {
		d, err := parseAge(v)
		if err != nil {
			errs = append(errs, fieldError{"older_than", "must be a positive duration such as 90s, 15m, 2h or 3d"})
		}
		f.CreatedBefore = now.Add(-d)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, fieldError{"limit", "must be between 1 and 1000"})
		}
		f.Limit = n
	}
	return f, errs
}

// parseAge reads a Go duration, or a whole number of days ("3d").
func parseAge(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, errors.New("bad days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err == nil && d <= 0 {
		err = errors.New("not positive")
	}
	return d, err
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

// getOrder tells one order's story: where it is, what it knows, and every
// transition, command, reply, timeout and operator action.
func (a *Admin) getOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s, err := a.Reader.Get(r.Context(), id)
	if errors.Is(err, orchestrator.ErrNotFound) {
		problem(w, http.StatusNotFound, "Not found", "no order "+id, nil)
		return
	}
	if err != nil {
		problem(w, http.StatusInternalServerError, "Load failed", err.Error(), nil)
		return
	}
	h, err := a.Reader.History(r.Context(), id)
	if err != nil {
		problem(w, http.StatusInternalServerError, "Load failed", err.Error(), nil)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", detail{summary: a.summary(s), DefinitionVersion: s.DefinitionVersion,
		CommandID: s.CommandID, LastError: s.LastError, Version: s.Version, Data: s.Data, History: h})
}

// stats counts orders per state, and those needing an operator.
func (a *Admin) stats(w http.ResponseWriter, r *http.Request) {
	counts, err := a.Reader.Stats(r.Context())
	if err != nil {
		problem(w, http.StatusInternalServerError, "Stats failed", err.Error(), nil)
		return
	}
	now := a.now()
	stuck, err := a.Reader.Stuck(r.Context(), now)
	if err != nil {
		problem(w, http.StatusInternalServerError, "Stats failed", err.Error(), nil)
		return
	}
	total := 0
	states := map[string]int{}
	for _, s := range a.Machine.States() {
		states[s] = counts[s]
		total += counts[s]
	}
	age := 0.0
	if stuck.OldestSince != nil {
		age = now.Sub(*stuck.OldestSince).Seconds()
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"states": states, "total": total,
		"stuck": stuck.Count, "overdue": stuck.Overdue, "oldest_stuck_since": stuck.OldestSince,
		"oldest_stuck_age_seconds": age})
}
