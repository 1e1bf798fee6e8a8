package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"bookshop/orchestrator"
)

// saga draws the state machine from the same table the engine runs:
// Mermaid text, or SVG for Accept: image/svg+xml (or ?format=svg).
// ?order=ID highlights the states and transitions that order went through.
func (a *Admin) saga(w http.ResponseWriter, r *http.Request) {
	var p *path
	if id := r.URL.Query().Get("order"); id != "" {
		s, err := a.Reader.Get(r.Context(), id)
		if errors.Is(err, orchestrator.ErrNotFound) {
			problem(w, http.StatusNotFound, "Not found", "no order "+id, nil)
			return
		}
		var h []orchestrator.HistoryEntry
		if err == nil {
			h, err = a.Reader.History(r.Context(), id)
		}
		if err != nil {
			problem(w, http.StatusInternalServerError, "Load failed", err.Error(), nil)
			return
		}
		p = pathOf(s, h)
	}
	w.Header().Set("Vary", "Accept")
	format, accept := r.URL.Query().Get("format"), r.Header.Get("Accept")
	switch {
	case format == "svg" || (format == "" && strings.Contains(accept, "image/svg+xml")):
		writeRaw(w, http.StatusOK, "image/svg+xml", drawSVG(a.Machine, p))
		return
	case format == "json" || (format == "" && strings.Contains(accept, "application/json")):
		writeJSON(w, http.StatusOK, "application/json", a.machineJSON())
		return
	}
	var visits []string
	if p != nil {
		visits = p.visits
	}
	diagram, err := a.Machine.Mermaid(visits...)
	if err != nil {
		problem(w, http.StatusInternalServerError, "Diagram failed", err.Error(), nil)
		return
	}
	writeRaw(w, http.StatusOK, "text/plain; charset=utf-8", []byte(diagram))
}

type machineView struct {
	Initial     string             `json:"initial"`
	States      []string           `json:"states"`
	Steps       []string           `json:"steps"`
	Terminal    []string           `json:"terminal"`
	Transitions []orchestrator.Row `json:"transitions"`
}

// machineJSON is the machine as data, for the console.
func (a *Admin) machineJSON() machineView {
	m := a.Machine
	v := machineView{Initial: m.Initial(), States: m.States(), Steps: []string{}, Terminal: []string{}, Transitions: m.Edges()}
	for _, s := range m.States() {
		switch {
		case m.IsStep(s):
			v.Steps = append(v.Steps, s)
		case m.IsTerminal(s):
			v.Terminal = append(v.Terminal, s)
		}
	}
	return v
}
